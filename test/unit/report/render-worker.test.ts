import { describe, expect, it } from "vitest";
import { claimCostliest, type RenderRequest } from "../../../src/report/render-worker.js";

function request(id: number, cost: number, claimedBy = 0): RenderRequest {
  const claim = new Int32Array(new SharedArrayBuffer(4));
  claim[0] = claimedBy;
  return { id, spec: {}, pngScale: null, claim, cost };
}

describe("claimCostliest (which chart a render worker takes next)", () => {
  it("takes the costliest waiting chart first, the first received among equal costs", () => {
    const queue = [request(0, 0.5), request(1, 2.6), request(2, 1.7), request(3, 2.6)];
    const order: number[] = [];
    for (let r; (r = claimCostliest(queue, 1)) !== undefined;) {
      expect(r.claim[0]).toBe(1);
      order.push(r.id);
    }
    expect(order).toEqual([1, 3, 2, 0]);
    expect(queue).toHaveLength(0);
  });

  it("skips and drops the charts another worker claimed", () => {
    const queue = [request(0, 1), request(1, 3, 2), request(2, 2)];
    expect(claimCostliest(queue, 1)?.id).toBe(2);
    expect(queue.map((r) => r.id)).toEqual([0]);
    const taken = request(4, 9, 2);
    expect(claimCostliest([taken], 1)).toBeUndefined();
    expect(taken.claim[0]).toBe(2);
  });
});
