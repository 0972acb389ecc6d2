import autocannon from 'autocannon';

export interface LoadRound {
  readonly requests: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly requestsPerSecond: number;
}

/**
 * One round like the incident's `ab -c 50 -n 5000 -k`: keep-alive connections spread over the site's two most
 * visited pages.
 */
export async function driveLoad(
  siteUrl: string,
  paths: readonly string[],
  amount = 5_000,
  connections = 50,
): Promise<LoadRound> {
  const result = await autocannon({
    url: siteUrl,
    connections,
    amount,
    timeout: 30,
    requests: paths.map((path) => ({ method: 'GET' as const, path })),
  });
  return {
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    requestsPerSecond: Math.round(result.requests.average),
  };
}
