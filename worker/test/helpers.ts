// Test helpers inside workerd: call the real app with per-test env overrides, seed KV from the real origin.
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { inject } from "vitest";
import { candidateAt, decodeCandidateList, encodeCandidateList } from "../../core/codec.js";
import { keys } from "../../core/keys.js";
import { signed } from "../../core/signature.js";
import { createApp } from "../src/app.js";
import { createServices, type Services } from "../src/services.js";

/** The reference origin and the fault proxy in front of it, started by global-setup.ts on free ports. */
export const ORIGIN = inject("urls").origin;
export const FAULTS = inject("urls").faults;
/** A port nothing listens on: the origin is down. */
export const DOWN = inject("urls").down;

export const fault = (mode: string) => `${FAULTS}/${mode}`;

/** Headers that pin region, time zone and time (allowed in tests by the vitest config). */
export const EU_EVENING = {
  "x-frontrow-region": "eu-west",
  "x-frontrow-timezone": "Europe/Paris",
  "x-frontrow-now": "2026-11-01T19:30:00Z",
};

export interface Harness {
  svc: Services;
  call(path: string, init?: RequestInit, overrides?: Partial<Env>): Promise<Response>;
}

/** A fresh app with fresh per-isolate services, so model and cache state never leak between tests. */
export function harness(): Harness {
  const svc = createServices();
  const app = createApp(svc);
  return {
    svc,
    async call(path, init, overrides) {
      const ctx = createExecutionContext();
      const res = await app.fetch(
        new Request(`http://edge.test${path}`, init),
        { ...env, ORIGIN_URL: ORIGIN, ...overrides },
        ctx,
      );
      await waitOnExecutionContext(ctx);
      return res;
    },
  };
}

/** Fetches a key's value from the real origin and writes it to KV, as the publisher would. */
export async function seed(key: string, originPath: string): Promise<ArrayBuffer> {
  const res = await fetch(`${ORIGIN}${originPath}`, { headers: { authorization: `Bearer ${env.ORIGIN_TOKEN}` } });
  if (!res.ok) throw new Error(`origin ${originPath}: HTTP ${res.status}`);
  const bytes = await res.arrayBuffer();
  await env.KV.put(key, bytes);
  return bytes;
}

export async function seedUser(userId: string, region = "eu-west"): Promise<void> {
  await seed(
    keys.candidates("top-picks", userId, region),
    `/v1/candidates/top-picks?user=${userId}&region=${region}&depth=500`,
  );
  await seed(keys.profile(userId), `/v1/profiles/${userId}`);
}

export async function seedPopular(region = "eu-west"): Promise<void> {
  await seed(keys.popular(region), `/v1/popular?region=${region}`);
}

export interface TestModel {
  onnx: Uint8Array;
  manifest: { version: string } & Record<string, unknown>;
}

function b64(s: string): Uint8Array {
  return Uint8Array.from(atob(s), (ch) => ch.charCodeAt(0));
}

/** The model trained by global-setup on the test data set (real training, real ONNX export). */
export function trainedModel(which: "model" | "infWeightModel" | "wideModel" = "model"): TestModel {
  const m = inject(which);
  return { onnx: b64(m.onnxBase64), manifest: JSON.parse(m.manifestJson) };
}

/** The signed form of a manifest, as `npm run model -- publish` writes it with the test signing key. */
export function signedManifest(manifest: object): Promise<object> {
  return signed("model-manifest", manifest, env.ARTIFACT_SIGNING_KEY as string);
}

/** Publishes a model version (manifest signed with the test key) and points `model:active` at it. */
export async function publishModel(m: TestModel, bytes: Uint8Array = m.onnx): Promise<void> {
  await env.KV.put(keys.modelBytes(m.manifest.version), bytes);
  await env.KV.put(keys.modelManifest(m.manifest.version), JSON.stringify(await signedManifest(m.manifest)));
  await env.KV.put(
    keys.activeModel,
    JSON.stringify({ version: m.manifest.version, activatedAt: new Date().toISOString() }),
  );
}

export async function faultCounts(): Promise<Record<string, number>> {
  return (await (await fetch(`${FAULTS}/_count`)).json()) as Record<string, number>;
}

export async function resetFaultCounts(): Promise<void> {
  await fetch(`${FAULTS}/_reset`);
}

export function getJson<T = Record<string, unknown>>(res: Response): Promise<T> {
  return res.json() as Promise<T>;
}

/** Re-encodes a list as if the origin had generated it `ageSeconds` ago. */
export function aged(bytes: ArrayBuffer, ageSeconds: number): Uint8Array {
  const list = decodeCandidateList(bytes);
  const items = Array.from({ length: list.size }, (_, i) => candidateAt(list, i));
  const { count: _count, ...header } = list.header;
  return encodeCandidateList({ ...header, generatedAt: Date.now() - ageSeconds * 1000 }, items);
}

/** The real KV namespace behind a switch: while `failing`, every call rejects as a KV outage surfaces in a Worker. */
export function flakyKv(inner: KVNamespace): { kv: KVNamespace; failing: boolean } {
  const ctl = { failing: false, kv: inner };
  ctl.kv = new Proxy(inner, {
    get(target, prop) {
      const v: unknown = Reflect.get(target, prop, target);
      if (typeof v !== "function") return v;
      return (...args: unknown[]) =>
        ctl.failing
          ? Promise.reject(new Error("KV GET failed: 503 Service Unavailable (injected)"))
          : (v as (...a: unknown[]) => unknown).apply(target, args);
    },
  });
  return ctl;
}
