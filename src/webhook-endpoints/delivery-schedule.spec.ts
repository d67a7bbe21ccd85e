import { DELIVERY_HORIZON_MS, retryDelayMs } from './delivery-schedule';

describe('retryDelayMs', () => {
  it('waits 5 s, 5 min, 30 min, 2 h, 5 h, then 10 h between attempts', () => {
    const minutes = [1, 2, 3, 4, 5, 6, 7, 12].map((attempts) => retryDelayMs(attempts) / 60000);
    expect(minutes).toEqual([5 / 60, 5, 30, 120, 300, 600, 600, 600]);
  });

  it('makes 12 attempts within the 3 days after the event', () => {
    let elapsed = 0;
    let attempts = 1;
    while (elapsed + retryDelayMs(attempts) <= DELIVERY_HORIZON_MS) {
      elapsed += retryDelayMs(attempts);
      attempts += 1;
    }
    // At 0 s, 5 s, 5 min 5 s, 35 min, 2 h 35 min, 7 h 35 min, then every 10 h until 67 h 35 min.
    expect(attempts).toBe(12);
  });
});
