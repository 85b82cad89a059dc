// The group criteria editor's form state: text fields ⇄ the API's GroupCriteria.
import type { GroupCriteria } from '../api/types';
import { pairsText, parsePairs, splitList } from '../app/ui';

export interface CriteriaDraft {
  os: string;
  arch: string;
  hostname: string;
  cidr: string;
  labels: string;
  agent_version: string;
  include: string;
  exclude: string;
}

export const EMPTY_CRITERIA: CriteriaDraft = { os: '', arch: '', hostname: '', cidr: '', labels: '', agent_version: '', include: '', exclude: '' };

export function draftFrom(c: GroupCriteria | undefined): CriteriaDraft {
  if (!c) return EMPTY_CRITERIA;
  return {
    os: (c.os ?? []).join(', '),
    arch: (c.arch ?? []).join(', '),
    hostname: (c.hostname ?? []).join(', '),
    cidr: (c.cidr ?? []).join(', '),
    labels: pairsText(c.labels),
    agent_version: c.agent_version ?? '',
    include: (c.include ?? []).join(', '),
    exclude: (c.exclude ?? []).join(', '),
  };
}

/// The criteria, or an error naming the field the form cannot turn into criteria (the server
/// checks the rest: globs, networks, versions).
export function criteriaFrom(d: CriteriaDraft): { criteria?: GroupCriteria; error?: { field: string; message: string } } {
  const labels = parsePairs(d.labels);
  if (labels.error) return { error: { field: 'labels', message: labels.error } };
  return {
    criteria: {
      os: splitList(d.os),
      arch: splitList(d.arch),
      hostname: splitList(d.hostname),
      cidr: splitList(d.cidr),
      labels: labels.value,
      agent_version: d.agent_version.trim(),
      include: splitList(d.include),
      exclude: splitList(d.exclude),
    },
  };
}

export function isEmpty(c: GroupCriteria): boolean {
  return Object.values(c).every((v) => (Array.isArray(v) ? v.length === 0 : typeof v === 'object' && v ? Object.keys(v).length === 0 : !v));
}
