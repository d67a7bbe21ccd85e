import { nestedParams, optionalInteger, optionalString, type FormParams } from './form-params';
import { parameterInvalid, resourceMissing } from './stripe-api-error';

export interface Listed {
  id: string;
  created: number;
}

export interface ListPage<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  url: string;
}

const MAX_LIMIT = 100;
const CREATED_BOUNDS = ['gt', 'gte', 'lt', 'lte'] as const;
type CreatedBound = (typeof CREATED_BOUNDS)[number];

function limitParam(params: FormParams): number {
  const limit = optionalInteger(params, 'limit') ?? 10;
  if (limit < 1 || limit > MAX_LIMIT) {
    throw parameterInvalid('limit', `Invalid limit: must be between 1 and ${MAX_LIMIT}.`);
  }
  return limit;
}

/** `created=…` (that second) or `created[gt|gte|lt|lte]=…`, as a test on a Unix timestamp. */
function createdFilter(params: FormParams): (created: number) => boolean {
  if (typeof params.created === 'string') {
    const exact = optionalInteger(params, 'created');
    return (created) => exact === null || created === exact;
  }
  const range = nestedParams(params, 'created') ?? {};
  const bounds = CREATED_BOUNDS.flatMap((bound): [CreatedBound, number][] => {
    const value = optionalInteger(range, bound, `created[${bound}]`);
    return value === null ? [] : [[bound, value]];
  });
  return (created) =>
    bounds.every(([bound, value]) => {
      switch (bound) {
        case 'gt':
          return created > value;
        case 'gte':
          return created >= value;
        case 'lt':
          return created < value;
        case 'lte':
          return created <= value;
      }
    });
}

/**
 * One page of a list as Stripe serves it. `items` come in creation order; the list is newest first,
 * ties in `created` (a one-second clock) broken by creation order. The cursor (`starting_after` or
 * `ending_before`) may be any object of the list, passing the `filters` or not; an unknown one is
 * `resource_missing`, naming the object as `kind`.
 */
export function listPage<T extends Listed>(
  url: string,
  kind: string,
  items: readonly T[],
  params: FormParams,
  filters: readonly ((item: T) => boolean)[] = [],
): ListPage<T> {
  const limit = limitParam(params);
  const inRange = createdFilter(params);
  const startingAfter = optionalString(params, 'starting_after');
  const endingBefore = optionalString(params, 'ending_before');
  if (startingAfter !== null && endingBefore !== null) {
    throw parameterInvalid(
      'ending_before',
      'You may only specify one of these parameters: ending_before, starting_after.',
    );
  }
  const newestFirst = [...items].reverse().sort((a, b) => b.created - a.created);
  const cursorAt = (id: string, param: string): number => {
    const index = newestFirst.findIndex((item) => item.id === id);
    if (index === -1) throw resourceMissing(kind, id, param);
    return index;
  };
  const window =
    startingAfter !== null
      ? newestFirst.slice(cursorAt(startingAfter, 'starting_after') + 1)
      : endingBefore !== null
        ? newestFirst.slice(0, cursorAt(endingBefore, 'ending_before'))
        : newestFirst;
  const selected = window.filter((item) => inRange(item.created) && filters.every((keep) => keep(item)));
  // Going backwards (ending_before), the page is the one right before the cursor.
  const data = endingBefore !== null ? selected.slice(-limit) : selected.slice(0, limit);
  return { object: 'list', data, has_more: selected.length > limit, url };
}
