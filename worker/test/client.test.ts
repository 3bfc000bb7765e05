// The typed RPC client works against the real app: paths, query and JSON bodies are typed from the routes.
import { createExecutionContext, env, reset, waitOnExecutionContext } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { createFrontrowClient } from "../client.js";
import { createApp } from "../src/app.js";
import { createServices } from "../src/services.js";
import { EU_EVENING, ORIGIN, publishModel, seedUser, trainedModel } from "./helpers.js";

beforeEach(async () => {
  await reset();
});

function client() {
  const app = createApp(createServices());
  return createFrontrowClient("http://edge.test", {
    headers: EU_EVENING,
    fetch: async (input: RequestInfo | URL, init?: RequestInit) => {
      const ctx = createExecutionContext();
      const res = await app.fetch(new Request(input, init), { ...env, ORIGIN_URL: ORIGIN }, ctx);
      await waitOnExecutionContext(ctx);
      return res;
    },
  });
}

describe("typed client", () => {
  it("gets a row with typed query and response", async () => {
    const model = trainedModel();
    await publishModel(model);
    await seedUser("1");
    const res = await client().v1.recommendations[":userId"].$get({
      param: { userId: "1" },
      query: { row: "top-picks", limit: "3" },
    });
    expect(res.status).toBe(200);
    if (!res.ok) throw new Error("unreachable");
    const row = await res.json();
    expect([row.servedBy, row.model.version, row.items.length]).toEqual(["model", model.manifest.version, 3]);
  });

  it("posts a re-rank call with a typed body", async () => {
    await publishModel(trainedModel());
    const res = await client().v1.rerank.$post({
      json: {
        userId: "1",
        candidates: [{ id: 1, genres: ["Drama"], year: 2000, popularity: 0.5, title: "A" }],
        applyRules: true,
      },
    });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect("items" in body && body.items.map((i) => i.id)).toEqual([1]);
  });
});
