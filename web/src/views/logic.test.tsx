// Logic of the certificates filters, the create form, the criteria editor and the chart.
import { describe, expect, it } from 'vitest';
import { render, screen } from '@testing-library/react';
import { filtersFromSearch, filtersToQuery, filtersToSearch, nextSort, withFilter } from './filters';
import { certificateInput } from './certificates';
import { criteriaFrom, draftFrom, isEmpty, EMPTY_CRITERIA } from './criteria';
import { ExpiryChart, weekBounds } from './overview';
import { parsePairs, splitList } from '../app/ui';

describe('certificate filters', () => {
  it('reads the URL defensively', () => {
    const f = filtersFromSearch(new URLSearchParams('status=Nope&sort=-expires_at&page=-3&expiring_days=30&q=web'));
    expect(f).toMatchObject({ status: '', sort: '-expires_at', page: 1, expiring_days: '30', q: 'web' });
    expect(filtersFromSearch(new URLSearchParams('sort=password')).sort).toBe('');
  });
  it('turns into API parameters, with the expiry window from now', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const q = filtersToQuery({ ...filtersFromSearch(new URLSearchParams()), expiring_days: '7', status: 'Active', page: 2 }, now);
    expect(q).toMatchObject({ status: 'Active', page: 2, per_page: 50, expires_after: '2026-01-01T00:00:00.000Z', expires_before: '2026-01-08T00:00:00.000Z' });
  });
  it('sorts asc, desc, then default; a filter change resets the page', () => {
    expect(nextSort('', 'name')).toBe('name');
    expect(nextSort('name', 'name')).toBe('-name');
    expect(nextSort('-name', 'name')).toBe('');
    expect(nextSort('-name', 'status')).toBe('status');
    const f = { ...filtersFromSearch(new URLSearchParams()), page: 4 };
    expect(withFilter(f, { status: 'Expired' }).page).toBe(1);
    expect(filtersToSearch(withFilter(f, { page: 5 }))).toMatchObject({ page: '5' });
  });
});

describe('create certificate form', () => {
  const base = { name: '', common_name: '', sans: '', environment: '', issuer_id: '', renewal_policy_id: '', tags: '' };
  it('requires a common name and well-formed tags', () => {
    expect(certificateInput(base).errors).toEqual({ common_name: 'A common name is required.' });
    expect(certificateInput({ ...base, common_name: 'a', tags: 'team' }).errors.tags).toMatch(/key=value/);
  });
  it('builds the body: lists split, blanks as null', () => {
    const { input } = certificateInput({ ...base, common_name: ' a.example ', sans: 'a.example,\n b.example', tags: 'app=web, tier=1' });
    expect(input).toEqual({ common_name: 'a.example', name: null, sans: ['a.example', 'b.example'], environment: null, issuer_id: null, renewal_policy_id: null, tags: { app: 'web', tier: '1' } });
  });
});

describe('criteria editor', () => {
  it('round-trips criteria through the form', () => {
    const c = { os: ['linux'], arch: [], hostname: ['web-*'], cidr: ['10.0.0.0/8'], labels: { env: 'prod' }, agent_version: '>=1.2', include: [], exclude: ['ag-x'] };
    expect(criteriaFrom(draftFrom(c)).criteria).toEqual(c);
  });
  it('names the labels field when a label is malformed', () => {
    expect(criteriaFrom({ ...EMPTY_CRITERIA, labels: 'env' }).error).toEqual({ field: 'labels', message: '"env" is not key=value' });
    expect(isEmpty(criteriaFrom(EMPTY_CRITERIA).criteria!)).toBe(true);
  });
  it('splits lists and pairs', () => {
    expect(splitList(' a, ,b\nc ')).toEqual(['a', 'b', 'c']);
    expect(parsePairs('a=1=2').value).toEqual({ a: '1=2' });
  });
});

describe('expiry chart', () => {
  it('has 13 weekly buckets and an accessible summary', () => {
    expect(weekBounds(new Date('2026-01-01T00:00:00Z'))).toHaveLength(13);
    render(<ExpiryChart counts={[1, 0, 4, undefined]} labels={['a', 'b', 'c', 'd']} />);
    const img = screen.getByRole('img');
    expect(img.getAttribute('aria-label')).toContain('1, 0, 4, …');
    expect(img.querySelectorAll('rect')).toHaveLength(4);
  });
});
