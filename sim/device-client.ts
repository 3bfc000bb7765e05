// The simulated devices' HTTP client: node:http over a keep-alive pool, light on the driver's heap.
import { Agent, type IncomingHttpHeaders, request } from "node:http";

/** One answer as a device reads it: status, headers and the whole body as text. */
export interface DeviceAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/**
 * GETs over a keep-alive pool, with one timer per request that is cleared when the answer ends. The driver runs
 * in the same process as the delay proxies, so whatever it allocates per request shows up as garbage-collection
 * pauses in the latencies it measures: `fetch` with `AbortSignal.timeout` allocated several times more per
 * request (WHATWG streams and headers, plus a signal and a 10-s timer each that outlive the answer), and its
 * scavenges paused the proxies' event loop for 5-8 ms about once a second at the simulation's rate.
 */
export class DeviceClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1024, timeout: 2000 });

  /** The answer to `GET url`; rejects on a connection error or when nothing arrives within `timeoutMs`. */
  get(url: string, headers: Record<string, string>, timeoutMs: number): Promise<DeviceAnswer> {
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const fail = (e: Error) => {
        clearTimeout(timer);
        reject(e);
      };
      const req = request(url, { headers, agent: this.agent }, (res) => {
        res.setEncoding("utf8");
        let text = "";
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text });
        });
        res.on("error", fail);
      });
      timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      req.on("error", fail);
      req.end();
    });
  }

  /** Closes the pooled connections. */
  close(): void {
    this.agent.destroy();
  }
}
