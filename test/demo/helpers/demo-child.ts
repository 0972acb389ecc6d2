import autocannon from 'autocannon';
import { startTsxChild, type TsxChild } from '../../agent/helpers/child-process';
import { TEST_KEYS } from '../../support/test-keys';

/** The demo service in a child process on loopback ports, with one leak switched on; its agent trusts TEST_KEYS. */
export function startDemoChild(options: {
  readonly leak: string;
  readonly taskId: string;
  readonly env?: Readonly<Record<string, string>>;
}): Promise<TsxChild> {
  return startTsxChild('demo/src/main.ts', {
    PORT: '0',
    HOST: '127.0.0.1',
    HEAPWATCH_ADMIN_PORT: '0',
    HEAPWATCH_PUBLIC_KEYS: TEST_KEYS.publicKey,
    HEAPWATCH_TASK_ID: options.taskId,
    HEAPWATCH_LEAK: options.leak,
    ...options.env,
  });
}

/** `requests` requests over 10 connections on a product page and the home page, as shoppers would. */
export function loadDemo(siteUrl: string, requests: number): Promise<autocannon.Result> {
  return autocannon({
    url: siteUrl,
    connections: 10,
    amount: requests,
    requests: [
      { method: 'GET', path: '/products/11' },
      { method: 'GET', path: '/' },
    ],
  });
}
