// Days left as every client counts them: whole days, rounded down (the CLI's, the console's and
// the summary's rule), so "in 39 d" here is 39 there.
import { expect, it } from 'vitest';

import { relDays } from './ui';

it('counts whole days left rounded down, as the CLI and the console do', () => {
  const now = Date.parse('2030-01-10T12:00:00Z');
  expect(relDays('2030-02-19T00:00:00Z', now)).toBe('in 39 d'); // 39.5 days: 39, not 40
  expect(relDays('2030-01-11T11:59:59Z', now)).toBe('today');
  expect(relDays('2030-01-10T11:00:00Z', now)).toBe('1 d ago'); // expired an hour ago
  expect(relDays(null, now)).toBe('—');
});
