import type { Blob, BuiltManifest } from './images.ts';

/**
 * Fills a registry through the OCI distribution API, the way `docker push` does: blobs first
 * (skipped when the registry has them), then manifests, children before the index that lists
 * them. Test tooling: no retries, every unexpected status is an error that says which. Auth is
 * the `fetch` given: a TokenAuthClient's for a registry behind token authentication.
 */
export class RegistryPusher {
  private readonly baseUrl: string;
  private readonly headers: Record<string, string>;
  private readonly fetch: typeof fetch;

  constructor(baseUrl: string, headers: Record<string, string> = {}, fetchImpl: typeof fetch = fetch) {
    this.baseUrl = baseUrl.replace(/\/$/, '');
    this.headers = headers;
    this.fetch = (input, init) => fetchImpl(input, init);
  }

  async pushBlob(repository: string, blob: Blob): Promise<void> {
    const head = await this.fetch(`${this.baseUrl}/v2/${repository}/blobs/${blob.digest}`, { method: 'HEAD', headers: this.headers });
    if (head.status === 200) return;
    const start = await this.fetch(`${this.baseUrl}/v2/${repository}/blobs/uploads/`, { method: 'POST', headers: this.headers });
    await expectStatus(start, 202, `start upload to ${repository}`);
    const location = start.headers.get('location');
    if (!location) throw new Error(`registry gave no upload location for ${repository}`);
    const uploadUrl = new URL(location, this.baseUrl);
    uploadUrl.searchParams.set('digest', blob.digest);
    const put = await this.fetch(uploadUrl, {
      method: 'PUT',
      headers: { ...this.headers, 'content-type': 'application/octet-stream', 'content-length': String(blob.bytes.length) },
      body: blob.bytes,
    });
    await expectStatus(put, 201, `upload blob ${blob.digest} to ${repository}`);
  }

  /** Pushes a manifest with everything it needs, under `reference` (a tag, or its own digest). */
  async pushManifest(repository: string, manifest: BuiltManifest, reference: string = manifest.digest): Promise<string> {
    for (const child of manifest.children) await this.pushManifest(repository, child);
    for (const blob of manifest.blobs) await this.pushBlob(repository, blob);
    const put = await this.fetch(`${this.baseUrl}/v2/${repository}/manifests/${reference}`, {
      method: 'PUT',
      headers: { ...this.headers, 'content-type': manifest.mediaType },
      body: manifest.bytes,
    });
    await expectStatus(put, 201, `put manifest ${reference} in ${repository}`);
    const digest = put.headers.get('docker-content-digest');
    if (digest !== null && digest !== manifest.digest) {
      throw new Error(`registry stored ${repository}:${reference} as ${digest}, expected ${manifest.digest}`);
    }
    return manifest.digest;
  }
}

async function expectStatus(response: Response, expected: number, what: string): Promise<void> {
  if (response.status === expected) return;
  const body = await response.text().catch(() => '');
  throw new Error(`${what}: HTTP ${response.status} (expected ${expected}) ${body.slice(0, 500)}`);
}
