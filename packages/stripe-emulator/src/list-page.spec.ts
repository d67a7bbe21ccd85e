import fc from 'fast-check';
import type { FormParams } from './form-params';
import { listPage, type Listed } from './list-page';
import { StripeApiError } from './stripe-api-error';

/** Items in creation order, with `created` as given (several per second, as a busy account has). */
const itemsCreatedAt = (created: readonly number[]): Listed[] =>
  created.map((second, index) => ({ id: `re_${index}`, created: second }));

const ids = (items: readonly Listed[]): string[] => items.map((item) => item.id);

/** Pages through the list as the SDK's auto-pagination does, forwards or (with ending_before) backwards. */
function walk(items: readonly Listed[], params: FormParams, filters: ((item: Listed) => boolean)[] = []) {
  const backwards = params.ending_before !== undefined;
  const seen: string[] = [];
  let query = params;
  for (let pages = 0; pages < 1000; pages += 1) {
    const page = listPage('/v1/refunds', 'refund', items, query, filters);
    seen.push(...(backwards ? [...page.data].reverse() : page.data).map((item) => item.id));
    if (!page.has_more) return seen;
    const cursor = backwards ? page.data[0] : page.data[page.data.length - 1];
    query = { ...params, [backwards ? 'ending_before' : 'starting_after']: cursor.id };
  }
  throw new Error('the walk did not end');
}

function refusal(action: () => unknown): StripeApiError {
  try {
    action();
  } catch (error) {
    if (error instanceof StripeApiError) return error;
    throw error;
  }
  throw new Error('expected a StripeApiError');
}

describe(listPage.name, () => {
  const items = itemsCreatedAt([100, 100, 101, 101, 101, 102]);

  it('lists newest first, ties by creation order, newest first', () => {
    expect(ids(listPage('/v1/refunds', 'refund', items, {}).data)).toEqual([
      're_5',
      're_4',
      're_3',
      're_2',
      're_1',
      're_0',
    ]);
  });

  it('serves 10 by default and says whether more follow', () => {
    const many = itemsCreatedAt(Array.from({ length: 11 }, () => 100));
    expect(listPage('/v1/refunds', 'refund', many, {})).toMatchObject({ object: 'list', has_more: true });
    expect(listPage('/v1/refunds', 'refund', many, {}).data).toHaveLength(10);
    expect(listPage('/v1/refunds', 'refund', many, { limit: '11' }).has_more).toBe(false);
  });

  it.each([
    ['0', 'parameter_invalid'],
    ['101', 'parameter_invalid'],
    ['ten', 'parameter_invalid_integer'],
  ])('refuses limit=%s', (limit, code) => {
    expect(refusal(() => listPage('/v1/refunds', 'refund', items, { limit }))).toMatchObject({
      status: 400,
      body: { param: 'limit', code },
    });
  });

  it.each([
    [{ gt: '100' }, ['re_5', 're_4', 're_3', 're_2']],
    [{ gte: '101' }, ['re_5', 're_4', 're_3', 're_2']],
    [{ lt: '101' }, ['re_1', 're_0']],
    [{ lte: '101', gt: '100' }, ['re_4', 're_3', 're_2']],
    ['102', ['re_5']],
  ])('filters on created %j', (created, expected) => {
    expect(ids(listPage('/v1/refunds', 'refund', items, { created }).data)).toEqual(expected);
  });

  it('refuses a created bound that is not a timestamp, naming it', () => {
    expect(
      refusal(() => listPage('/v1/refunds', 'refund', items, { created: { gte: 'yesterday' } })),
    ).toMatchObject({ status: 400, body: { param: 'created[gte]', code: 'parameter_invalid_integer' } });
  });

  it('pages from a cursor either way', () => {
    expect(
      ids(listPage('/v1/refunds', 'refund', items, { starting_after: 're_3', limit: '2' }).data),
    ).toEqual(['re_2', 're_1']);
    const before = listPage('/v1/refunds', 'refund', items, { ending_before: 're_1', limit: '2' });
    expect(ids(before.data)).toEqual(['re_3', 're_2']);
    expect(before.has_more).toBe(true);
  });

  it('takes a cursor the filters leave out', () => {
    const evenOnly = (item: Listed) => Number(item.id.slice(3)) % 2 === 0;
    expect(
      ids(listPage('/v1/refunds', 'refund', items, { starting_after: 're_3' }, [evenOnly]).data),
    ).toEqual(['re_2', 're_0']);
  });

  it('answers an unknown cursor as Stripe does, and refuses both cursors at once', () => {
    expect(
      refusal(() => listPage('/v1/refunds', 'refund', items, { starting_after: 're_gone' })),
    ).toMatchObject({
      status: 400,
      body: { code: 'resource_missing', param: 'starting_after', message: "No such refund: 're_gone'" },
    });
    expect(
      refusal(() => listPage('/v1/refunds', 'refund', items, { ending_before: 're_gone' })),
    ).toMatchObject({
      status: 400,
      body: { code: 'resource_missing', param: 'ending_before' },
    });
    expect(
      refusal(() =>
        listPage('/v1/refunds', 'refund', items, { starting_after: 're_1', ending_before: 're_3' }),
      ),
    ).toMatchObject({ status: 400, body: { param: 'ending_before' } });
  });

  it('walks any list forwards and backwards, every matching item exactly once, in order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 60 }),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 3 }),
        fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
        (created, limit, modulo, gte) => {
          const list = itemsCreatedAt(created);
          const keep = (item: Listed) => Number(item.id.slice(3)) % modulo === 0;
          const params: FormParams = {
            limit: String(limit),
            ...(gte === undefined ? {} : { created: { gte: String(gte) } }),
          };
          const expected = ids(
            [...list]
              .map((item, index) => ({ item, index }))
              .sort((a, b) => b.item.created - a.item.created || b.index - a.index)
              .map(({ item }) => item)
              .filter((item) => keep(item) && (gte === undefined || item.created >= gte)),
          );
          expect(walk(list, params, [keep])).toEqual(expected);
          // Backwards from the oldest match: every newer match, oldest first.
          if (expected.length > 0) {
            const oldest = expected[expected.length - 1];
            expect(walk(list, { ...params, ending_before: oldest }, [keep])).toEqual(
              expected.slice(0, -1).reverse(),
            );
          }
        },
      ),
    );
  });
});
