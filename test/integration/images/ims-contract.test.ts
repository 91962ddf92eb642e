/** The test IMS really holds requests to the real ims-openapi.yaml: drift is caught, not waved through. */
import { afterEach, describe, expect, it } from "vitest";
import { loadImsContract } from "../../helpers/ims-openapi.js";
import { startImsServer, type ImsTestServer } from "../../helpers/ims-server.js";
import { skipEachWithoutReferenceSpec } from "../../helpers/reference-spec.js";

let ims: ImsTestServer | null = null;

afterEach(async () => {
  await ims?.close();
  ims = null;
});

async function server(): Promise<ImsTestServer> {
  ims = await startImsServer({
    openJail: () => Promise.resolve({ host: "127.0.0.1", port: 22, jail: "/nonexistent" }),
  });
  return ims;
}

function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

describe("loadImsContract", () => {
  it("says plainly where it looked when the spec is missing", () => {
    expect(() => loadImsContract("/nonexistent/ims.yaml")).toThrow(
      /the IMS contract tests need the real IMS API spec, and \/nonexistent\/ims\.yaml does not exist/,
    );
  });
});

describe("the test IMS's contract checks", () => {
  skipEachWithoutReferenceSpec("ims");

  it("records a customize job without image_root_archive_name, and answers 422", async () => {
    const s = await server();
    const response = await post(`${s.url}/v3/jobs`, {
      job_type: "customize",
      artifact_id: s.addImage("x"),
      public_key_id: "66db1862-fa14-44c6-ae4b-6a6cc8cdc34a",
    });
    expect(response.status).toBe(422);
    expect(s.violations).toEqual([
      expect.stringMatching(
        /^POST \/v3\/jobs: request body .* must have required property 'image_root_archive_name'/,
      ),
    ]);
  });

  it("records a request that sends a read-only field (IMS sets status itself)", async () => {
    const s = await server();
    await post(`${s.url}/v3/public-keys`, {
      name: "k",
      public_key: "ssh-ed25519 AAAA",
      id: "46a2731e-a1d0-4f98-ba92-4f78c756bb12",
    });
    expect(s.violations).toEqual([expect.stringContaining("POST /v3/public-keys: request body")]);
  });

  it("records a path parameter that is not a UUID and a path the API does not have", async () => {
    const s = await server();
    await fetch(`${s.url}/v3/jobs/not-a-uuid`);
    await fetch(`${s.url}/v3/customize`);
    expect(s.violations).toEqual([
      expect.stringContaining(
        'GET /v3/jobs/{job_id}: path parameter job_id=not-a-uuid (root) must match format "uuid"',
      ),
      "GET /v3/customize: the IMS API has no such operation",
    ]);
  });

  it("checks responses too: a JobRecord with an unknown status does not pass", () => {
    const validate = loadImsContract().responseSchema("JobRecord");
    const job = {
      id: "46a2731e-a1d0-4f98-ba92-4f78c756bb12",
      job_type: "customize",
      artifact_id: "46a2731e-a1d0-4f98-ba92-4f78c756bb12",
      public_key_id: "46a2731e-a1d0-4f98-ba92-4f78c756bb12",
      image_root_archive_name: "x",
    };
    expect(validate({ ...job, status: "waiting_on_user" })).toBe(true);
    expect(validate({ ...job, status: "ready" })).toBe(false);
  });
});
