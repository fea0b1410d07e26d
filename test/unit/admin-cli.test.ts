import { describe, expect, it } from 'vitest';
import { parseUnits } from '../../src/commands/roster-push.ts';

describe('alpr roster push --units', () => {
  it.each([
    ['unit-1', ['unit-1']],
    ['unit-1, unit-2,u.3', ['unit-1', 'unit-2', 'u.3']],
  ])('%s', (arg, want) => {
    expect(parseUnits(arg)).toEqual(want);
  });

  it.each([
    ['a wildcard', 'unit-1,+', /"\+" is not a unit id/],
    ['a multi-level wildcard', '#', /"#" is not a unit id/],
    ['a topic separator', 'unit-1/roster', /is not a unit id/],
    ['an empty name', 'unit-1,,unit-2', /"" is not a unit id/],
    ['a unit twice', 'unit-1,unit-1', /named twice/],
  ])('refuses %s', (_what, arg, err) => {
    expect(() => parseUnits(arg)).toThrow(err);
  });
});
