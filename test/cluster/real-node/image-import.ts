import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { BuiltImage } from '../images/local-images.ts';
import { hostTools } from './constants.ts';

/**
 * Imports OCI archives into a containerd's CRI namespace, unpacked for its snapshotter, where the
 * kubelet finds them without a pull. The image names come from the archives' annotations.
 */
export async function importImages(containerdSocket: string, images: BuiltImage[]): Promise<void> {
  for (const image of images) {
    await promisify(execFile)(hostTools.ctr, ['--address', containerdSocket, '--namespace', 'k8s.io', 'images', 'import', image.archive], {
      maxBuffer: 16 * 1024 * 1024,
    });
  }
}
