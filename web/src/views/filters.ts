// The certificates table's state (filters, search, sort, page) kept in the URL's query string,
// and turned into the API's query parameters.
import type { Query } from '../api/client';
import { CERTIFICATE_STATUSES } from '../api/types';

export interface CertFilters {
  q: string;
  status: string;
  environment: string;
  issuer_id: string;
  expiring_days: string;
  sort: string;
  page: number;
}

export const SORTABLE = ['name', 'common_name', 'status', 'expires_at', 'created_at'];
export const PER_PAGE = 50;

export function filtersFromSearch(p: URLSearchParams): CertFilters {
  const status = p.get('status') ?? '';
  const sort = p.get('sort') ?? '';
  const page = Number.parseInt(p.get('page') ?? '1', 10);
  const days = p.get('expiring_days') ?? '';
  return {
    q: p.get('q') ?? '',
    status: (CERTIFICATE_STATUSES as string[]).includes(status) ? status : '',
    environment: p.get('environment') ?? '',
    issuer_id: p.get('issuer_id') ?? '',
    expiring_days: /^\d{1,4}$/.test(days) ? days : '',
    sort: SORTABLE.includes(sort.replace(/^-/, '')) ? sort : '',
    page: Number.isFinite(page) && page > 0 ? page : 1,
  };
}

export function filtersToSearch(f: CertFilters): Record<string, string | undefined> {
  return {
    q: f.q || undefined,
    status: f.status || undefined,
    environment: f.environment || undefined,
    issuer_id: f.issuer_id || undefined,
    expiring_days: f.expiring_days || undefined,
    sort: f.sort || undefined,
    page: f.page > 1 ? String(f.page) : undefined,
  };
}

/// GET /certificates parameters; `now` fixes the expiry window's start.
export function filtersToQuery(f: CertFilters, now: Date): Query {
  const q: Query = {
    q: f.q.trim() || undefined,
    status: f.status || undefined,
    environment: f.environment.trim() || undefined,
    issuer_id: f.issuer_id || undefined,
    sort: f.sort || undefined,
    page: f.page,
    per_page: PER_PAGE,
  };
  if (f.expiring_days) {
    const end = new Date(now.getTime() + Number(f.expiring_days) * 86400000);
    q.expires_after = now.toISOString();
    q.expires_before = end.toISOString();
  }
  return q;
}

/// Clicking a column: ascending, then descending, then back to the default order.
export function nextSort(current: string, key: string): string {
  if (current === key) return `-${key}`;
  if (current === `-${key}`) return '';
  return key;
}

/// A filter change starts again at page 1.
export function withFilter(f: CertFilters, change: Partial<CertFilters>): CertFilters {
  return { ...f, ...change, page: change.page ?? 1 };
}
