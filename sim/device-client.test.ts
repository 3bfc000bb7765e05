// The simulated devices' client: answers, headers, timeouts and refused connections, against a real local server.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DeviceClient } from "./device-client.js";

let server: Server;
let base = "";
const client = new DeviceClient();

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === "/hang") return; // never answers
    res.writeHead(req.url === "/missing" ? 404 : 200, { "x-echo": req.headers["x-frontrow-region"] ?? "" });
    // Two chunks with a multi-byte character split across them.
    const body = Buffer.from(`{"path":"${req.url}","title":"Amélie"}`);
    const cut = body.indexOf(0xc3) + 1;
    res.write(body.subarray(0, cut));
    setTimeout(() => res.end(body.subarray(cut)), 5);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  client.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe("DeviceClient", () => {
  it("returns the status, the headers and the whole body, sending the request's headers", async () => {
    const a = await client.get(`${base}/v1/x?row=top-picks`, { "x-frontrow-region": "eu-west" }, 2000);
    expect(a).toEqual({
      status: 200,
      headers: expect.objectContaining({ "x-echo": "eu-west" }),
      text: '{"path":"/v1/x?row=top-picks","title":"Amélie"}',
    });
  });

  it("returns a 4xx as an answer, not an error", async () => {
    const a = await client.get(`${base}/missing`, {}, 2000);
    expect(a.status).toBe(404);
    expect(JSON.parse(a.text)).toEqual({ path: "/missing", title: "Amélie" });
  });

  it("reuses a pooled connection for the next request", async () => {
    const ports = new Set<number>();
    server.on("request", (req) => ports.add(req.socket.remotePort ?? 0));
    await client.get(`${base}/a`, {}, 2000);
    await client.get(`${base}/b`, {}, 2000);
    expect(ports.size).toBe(1);
  });

  it("rejects naming the timeout when no answer arrives", async () => {
    await expect(client.get(`${base}/hang`, {}, 50)).rejects.toThrow("no answer within 50 ms");
  });

  it("rejects with the connection error's code when nothing listens", async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", () => r()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    await expect(client.get(`http://127.0.0.1:${port}/`, {}, 2000)).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });
});
