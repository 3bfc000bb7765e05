// A fault-injecting HTTP proxy in front of the real reference origin, for the worker's fault tests (Node side).
import { createServer, type Server } from "node:http";

/**
 * Path prefixes choose the fault, then the rest of the path goes to the real origin:
 *   /ok/...            proxied unchanged
 *   /slow/<ms>/...     proxied after a delay
 *   /status/<code>/... answers that status with a JSON error body
 *   /malformed/...     200 with bytes that are not a candidate list
 *   /truncated/...     the real answer cut in half
 *   /_count            JSON: requests seen per mode since the last /_reset
 */
export function startFaultOrigin(port: number, upstream: string): Promise<Server> {
  let counts: Record<string, number> = {};
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const parts = url.pathname.split("/").filter(Boolean);
    const mode = parts[0] ?? "";
    if (mode === "_count") return send(res, 200, "application/json", Buffer.from(JSON.stringify(counts)));
    if (mode === "_reset") {
      counts = {};
      return send(res, 204, "text/plain", Buffer.alloc(0));
    }
    counts[mode] = (counts[mode] ?? 0) + 1;
    let rest = parts.slice(1);
    if (mode === "slow") {
      await new Promise((r) => setTimeout(r, Number(rest[0])));
      rest = rest.slice(1);
    }
    if (mode === "status") {
      return send(res, Number(rest[0]), "application/json", Buffer.from('{"error":{"code":"injected"}}'));
    }
    if (mode === "malformed") {
      return send(res, 200, "application/vnd.frontrow.candidates", Buffer.from("FRC1 this is not a candidate list"));
    }
    try {
      // The caller's credentials go through, so the origin's token check applies behind the proxy too.
      const auth = req.headers.authorization;
      const upstreamRes = await fetch(`${upstream}/${rest.join("/")}${url.search}`, {
        headers: auth ? { authorization: auth } : {},
      });
      let body = Buffer.from(await upstreamRes.arrayBuffer());
      if (mode === "truncated") body = body.subarray(0, body.length >> 1);
      send(res, upstreamRes.status, upstreamRes.headers.get("content-type") ?? "application/octet-stream", body);
    } catch (e) {
      send(res, 502, "text/plain", Buffer.from(String(e)));
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

function send(res: import("node:http").ServerResponse, status: number, type: string, body: Buffer): void {
  res.writeHead(status, { "content-type": type, "content-length": body.length });
  res.end(body);
}
