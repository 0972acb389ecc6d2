import { DescribeServicesCommand, type ECSClient } from '@aws-sdk/client-ecs';

/** Where a watched service's agent answers: what `watch()` tagged the ECS service with. */
export interface AdminEndpoint {
  readonly adminPort: number;
  /** Prefix of the admin paths: `''` for the admin server, e.g. `/_heapwatch` for handlers mounted in an app. */
  readonly adminPath: string;
}

/** The ECS service tags `watch()` sets (the scraper relabels on the same ones: lib/scraper/scrape-config.ts). */
export const ADMIN_PORT_TAG = 'heapwatch:admin-port';
export const ADMIN_PATH_TAG = 'heapwatch:admin-path';

/**
 * Reads a service's admin endpoint from its tags. Only tagged services are captured: the tags are how a service in
 * any stack or app joins heapwatch, and a service without them is not watched.
 */
export async function adminEndpointOf(ecs: ECSClient, cluster: string, service: string): Promise<AdminEndpoint> {
  const answer = await ecs.send(new DescribeServicesCommand({ cluster, services: [service], include: ['TAGS'] }));
  const found = answer.services?.find(
    (candidate) => candidate.serviceName === service && candidate.status !== 'INACTIVE',
  );
  if (!found) {
    throw new Error(
      `service ${service} was not found in cluster ${cluster}: check the alert's cluster and service labels`,
    );
  }
  const tags = new Map((found.tags ?? []).map((tag) => [tag.key, tag.value ?? '']));
  const port = tags.get(ADMIN_PORT_TAG);
  if (port === undefined) {
    throw new Error(
      `service ${service} in cluster ${cluster} is not watched by heapwatch: it has no ${ADMIN_PORT_TAG} tag. Call heapwatch.watch(service) (or tag it by hand, see docs/constructs.md).`,
    );
  }
  const adminPort = Number(port);
  if (!/^[0-9]{1,5}$/.test(port) || adminPort < 1 || adminPort > 65_535) {
    throw new Error(`service ${service}: tag ${ADMIN_PORT_TAG}=${JSON.stringify(port)} is not a port: use e.g. 9464`);
  }
  const adminPath = tags.get(ADMIN_PATH_TAG) ?? '';
  if (adminPath !== '' && !/^(\/[A-Za-z0-9._-]+)+$/.test(adminPath)) {
    throw new Error(
      `service ${service}: tag ${ADMIN_PATH_TAG}=${JSON.stringify(adminPath)} is not a path prefix: use '' or e.g. /_heapwatch`,
    );
  }
  return { adminPort, adminPath };
}
