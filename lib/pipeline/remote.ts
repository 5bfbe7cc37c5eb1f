/**
 * A remote cache on S3 (`--remote s3://bucket/prefix`), mirroring the local cache's layout:
 * `<prefix>/objects/<h[:2]>/<h>` (file contents by SHA-256) and `<prefix>/runs/<k[:2]>/<k>.json`
 * (an instance key's run record). Objects are immutable (content-addressed: an upload is skipped
 * when HEAD finds the object), every download is verified against its hash, and a run record is
 * uploaded only after all its objects, so a record on the remote implies its objects.
 *
 * Requests are signed by `aws4fetch` (SigV4). Endpoint, region and credentials come from the
 * standard AWS variables: `AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL` (path-style addressing; for
 * MinIO, s3rver, Ceph...), `AWS_REGION` or `AWS_DEFAULT_REGION` (default `us-east-1`),
 * `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { AwsClient } from "aws4fetch";
import { parse as parseYaml } from "yaml";
import { type Cache, objectRel, type RunEntry, runEntryProblem, runRel } from "./cache.ts";
import { type Digest, sha256 } from "./hash.ts";
import { exists, tempSibling, writeFileAtomic } from "./fs_util.ts";

/** Where a remote lives. */
export interface RemoteLocation {
  readonly bucket: string;
  /** Key prefix without leading or trailing `/` (may be empty). */
  readonly prefix: string;
}

/** What a push or pull moved. */
export interface TransferCount {
  /** Objects uploaded or downloaded. */
  moved: number;
  /** Objects the other side already had. */
  present: number;
}

/** Parses `s3://bucket/prefix`; throws `RangeError` naming `field` on anything else. */
export function parseRemoteUrl(url: string, field = "--remote"): RemoteLocation {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(\/.*)?$/.exec(url.trim());
  if (!m) {
    throw new RangeError(
      `Invalid ${field} "${url}": expected s3://bucket/prefix (bucket: 3-63 lowercase letters, ` +
        `digits, dots or hyphens)`,
    );
  }
  return { bucket: m[1]!, prefix: (m[2] ?? "").replace(/^\/+|\/+$/g, "") };
}

/** Local cache paths, the layout of `cache.ts`. */
export function localObjectPath(cacheDir: string, hash: Digest): string {
  return join(cacheDir, objectRel(hash));
}

/** The local path of a run record, the layout of `cache.ts`. */
export function localRunPath(cacheDir: string, key: Digest): string {
  return join(cacheDir, runRel(key));
}

/** Every object hash a run record names (file outs and folder members). */
export function entryObjects(entry: RunEntry): Digest[] {
  const out = new Set<Digest>();
  for (const rec of Object.values(entry.outs)) {
    if (rec.files) { for (const h of Object.values(rec.files)) out.add(h); }
    else out.add(rec.hash);
  }
  return [...out].sort();
}

/** An S3 bucket prefix used as a remote cache. */
export class S3Remote {
  /** The `s3://` URL, for messages. */
  readonly url: string;
  readonly #loc: RemoteLocation;
  readonly #client: AwsClient;
  readonly #base: string;

  /** Opens a remote; throws `RangeError` when the URL or the AWS variables are unusable. */
  constructor(url: string, env: (name: string) => string | undefined = (n) => Deno.env.get(n)) {
    this.#loc = parseRemoteUrl(url);
    this.url = `s3://${this.#loc.bucket}${this.#loc.prefix ? `/${this.#loc.prefix}` : ""}`;
    const accessKeyId = env("AWS_ACCESS_KEY_ID");
    const secretAccessKey = env("AWS_SECRET_ACCESS_KEY");
    if (!accessKeyId || !secretAccessKey) {
      throw new RangeError(
        `Remote ${this.url}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_REGION, ` +
          `AWS_ENDPOINT_URL for a store other than AWS)`,
      );
    }
    const region = env("AWS_REGION") ?? env("AWS_DEFAULT_REGION") ?? "us-east-1";
    const sessionToken = env("AWS_SESSION_TOKEN");
    this.#client = new AwsClient({
      accessKeyId,
      secretAccessKey,
      ...(sessionToken ? { sessionToken } : {}),
      service: "s3",
      region,
      retries: 4,
    });
    const endpoint = env("AWS_ENDPOINT_URL_S3") ?? env("AWS_ENDPOINT_URL");
    if (endpoint && !/^https?:\/\/[^/]+\/?$/.test(endpoint)) {
      throw new RangeError(
        `Invalid AWS_ENDPOINT_URL "${endpoint}": expected http(s)://host[:port]`,
      );
    }
    this.#base = endpoint
      ? `${endpoint.replace(/\/$/, "")}/${this.#loc.bucket}`
      : `https://${this.#loc.bucket}.s3.${region}.amazonaws.com`;
  }

  #url(rel: string): string {
    const key = this.#loc.prefix ? `${this.#loc.prefix}/${rel}` : rel;
    return `${this.#base}/${key.split("/").map(encodeURIComponent).join("/")}`;
  }

  async #request(method: string, rel: string, body?: Uint8Array): Promise<Response> {
    const headers: Record<string, string> = {};
    // The payload hash is signed (s3rver even requires the header); for objects it is their key.
    if (body) {
      headers["x-amz-content-sha256"] = sha256(body);
      headers["content-type"] = "application/octet-stream";
    }
    let res: Response;
    try {
      res = await this.#client.fetch(this.#url(rel), {
        method,
        headers,
        ...(body ? { body: body as BodyInit } : {}),
      });
    } catch (e) {
      throw new Error(`Remote ${this.url}: ${method} ${rel} failed: ${(e as Error).message}`);
    }
    if (res.ok || res.status === 404) return res;
    const text = await res.text().catch(() => "");
    throw new Error(
      `Remote ${this.url}: ${method} ${rel} answered ${res.status} ${res.statusText}` +
        (/<Code>([^<]+)<\/Code>/.exec(text)?.[1]
          ? ` (${/<Code>([^<]+)<\/Code>/.exec(text)![1]})`
          : ""),
    );
  }

  /** True when the remote holds `rel`. */
  async has(rel: string): Promise<boolean> {
    const res = await this.#request("HEAD", rel);
    await res.body?.cancel();
    return res.ok;
  }

  /** The bytes at `rel`, or `undefined` when absent. */
  async get(rel: string): Promise<Uint8Array | undefined> {
    const res = await this.#request("GET", rel);
    if (!res.ok) {
      await res.body?.cancel();
      return undefined;
    }
    return new Uint8Array(await res.arrayBuffer());
  }

  /** Writes `rel`. */
  async put(rel: string, body: Uint8Array): Promise<void> {
    const res = await this.#request("PUT", rel, body);
    await res.body?.cancel();
    if (!res.ok) throw new Error(`Remote ${this.url}: PUT ${rel} answered 404 (no such bucket?)`);
  }

  /** True when the remote holds a run record for `key`. */
  hasRun(key: Digest): Promise<boolean> {
    return this.has(runRel(key));
  }

  /**
   * Uploads the local run record of `key` and its objects (objects first, each verified against
   * its hash and skipped when the remote has it; the record last). Does nothing when the remote
   * already has the record. Throws when the local cache lacks the record or an object.
   */
  async pushRun(cache: Cache, key: Digest): Promise<TransferCount> {
    const count = { moved: 0, present: 0 };
    if (await this.hasRun(key)) return count;
    const entry = cache.getRun(key);
    if (!entry) throw new Error(`Local cache ${cache.dir} has no run record ${key.slice(0, 12)}`);
    await pool(entryObjects(entry), 8, async (h) => {
      if (await this.has(objectRel(h))) {
        count.present++;
        return;
      }
      const bytes = Deno.readFileSync(localObjectPath(cache.dir, h));
      if (sha256(bytes) !== h) throw new Error(`Local cache object ${h.slice(0, 12)} is corrupt`);
      await this.put(objectRel(h), bytes);
      count.moved++;
    });
    await this.put(runRel(key), new TextEncoder().encode(JSON.stringify(entry)));
    return count;
  }

  /**
   * Downloads the run record of `key` and its objects into the local cache (objects first, each
   * verified; the record last). Returns `undefined` when the remote has no such record; throws on
   * a bad record or object (nothing of it lands in the local cache's runs).
   */
  async pullRun(cache: Cache, key: Digest): Promise<TransferCount | undefined> {
    const raw = await this.get(runRel(key));
    if (!raw) return undefined;
    let entry: RunEntry;
    try {
      entry = JSON.parse(new TextDecoder().decode(raw));
    } catch (e) {
      throw new Error(
        `Remote ${this.url}: run record ${key.slice(0, 12)}: ${(e as Error).message}`,
      );
    }
    // The same checks as the local cache's: shape, hashes, manifest paths and digests.
    const problem = runEntryProblem(entry);
    if (problem) throw new Error(`Remote ${this.url}: run record ${key.slice(0, 12)}: ${problem}`);
    const count = { moved: 0, present: 0 };
    await pool(entryObjects(entry), 8, async (h) => {
      const dest = localObjectPath(cache.dir, h);
      if (exists(dest)) {
        count.present++;
        return;
      }
      const bytes = await this.get(objectRel(h));
      if (!bytes) throw new Error(`Remote ${this.url}: object ${h.slice(0, 12)} is missing`);
      if (sha256(bytes) !== h) {
        throw new Error(`Remote ${this.url}: object ${h.slice(0, 12)} is corrupt`);
      }
      Deno.mkdirSync(dirname(dest), { recursive: true });
      const tmp = tempSibling(dest);
      Deno.writeFileSync(tmp, bytes);
      Deno.renameSync(tmp, dest);
      count.moved++;
    });
    writeFileAtomic(localRunPath(cache.dir, key), JSON.stringify(entry));
    return count;
  }
}

/** Runs `fn` on every item, at most `limit` at once; rejects with the first error. */
async function pool<T>(items: readonly T[], limit: number, fn: (t: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * The remote to use: `flag` (`--remote`), else `QUARRY_REMOTE`, else the top-level `remote:` of
 * the pipeline file; `undefined` when none is set. Throws `RangeError` on a bad `remote:` value.
 */
export function remoteSetting(
  pipelineFile: string,
  flag?: string,
  env: (name: string) => string | undefined = (n) => Deno.env.get(n),
): string | undefined {
  if (flag) return flag;
  const fromEnv = env("QUARRY_REMOTE");
  if (fromEnv) return fromEnv;
  let doc: unknown;
  try {
    doc = parseYaml(Deno.readTextFileSync(pipelineFile));
  } catch {
    return undefined; // the analyzer reports an unreadable pipeline
  }
  const value = (doc as Record<string, unknown> | null)?.remote;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") {
    throw new RangeError(`${pipelineFile}: invalid remote: expected a string s3://bucket/prefix`);
  }
  parseRemoteUrl(value, `remote in ${pipelineFile}`);
  return value;
}
