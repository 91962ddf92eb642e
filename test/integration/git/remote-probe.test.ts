/**
 * The ref probe against the real test git server, through a small proxy that can drop the
 * in-process client's connections (as a proxy or CA only git knows would): the fallback to
 * `git ls-remote` is per call, and the in-process client is tried again later.
 */
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRemoteProbe } from "../../../src/git/remote-probe.js";
import {
  createFixtureRepo,
  makeTempDir,
  removeTempDir,
  type FixtureRepo,
} from "../../helpers/git-fixture.js";
import { startGitHttpServer, type GitHttpServer } from "../../helpers/git-http-server.js";
import { captureLog } from "../../helpers/git-log-capture.js";

let dir: string;
let origin: FixtureRepo;
let server: GitHttpServer;
let proxy: Server;
let proxyUrl: string;
/** Who asked, in order: "in-process" or "git". */
const seen: string[] = [];
let dropInProcess = false;

beforeAll(async () => {
  dir = await makeTempDir();
  origin = await createFixtureRepo({ dir: `${dir}/srv/config.git`, bare: true });
  await origin.commit({ files: { "cfs.yaml": "session_ttl: 7d\n" } });
  server = await startGitHttpServer({ root: `${dir}/srv` });
  const target = new URL(server.url("config.git"));
  proxy = createServer((req, res) => {
    // git says `git/2.x`; the in-process client (isomorphic-git on fetch) says something else.
    const inProcess = !/^git\/[0-9]/.test(req.headers["user-agent"] ?? "");
    seen.push(inProcess ? "in-process" : "git");
    if (inProcess && dropInProcess) {
      req.socket.destroy();
      return;
    }
    const upstream = request(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/config.git`;
});

afterAll(async () => {
  proxy.closeAllConnections();
  await new Promise((resolve) => proxy.close(resolve));
  await server.close();
  await removeTempDir(dir);
});

describe("createRemoteProbe", () => {
  it("falls back to git for the call the in-process client could not make, and tries in-process again later", async () => {
    let clock = 1_000_000;
    const probe = createRemoteProbe({
      url: proxyUrl,
      credentials: null,
      log: captureLog().log,
      inProcessRetryMs: 60_000,
      now: () => clock,
    });
    const tip = await origin.tip();

    dropInProcess = true;
    seen.length = 0;
    expect(await probe("main")).toBe(tip);
    expect(seen[0]).toBe("in-process");
    expect(seen.at(-1)).toBe("git");

    dropInProcess = false;
    seen.length = 0;
    clock += 30_000;
    expect(await probe("main")).toBe(tip);
    expect(new Set(seen)).toEqual(new Set(["git"]));

    seen.length = 0;
    clock += 31_000;
    expect(await probe("main")).toBe(tip);
    expect(new Set(seen)).toEqual(new Set(["in-process"]));
  });
});
