import { type DemoService, LEAKS, leakNames, startDemo } from '../../demo/src';
import { findLeak } from '../../demo/src/leaks';
import { silentLogger } from '../agent/helpers/silent-logger';
import { TEST_KEYS } from '../support/test-keys';

describe('startDemo', () => {
  let demo: DemoService;

  afterEach(async () => {
    await demo?.close();
  });

  it('serves the home page and product pages, and 404 for unknown products', async () => {
    // Prepare
    demo = await startDemo({ port: 0, adminPort: 0, admin: { logger: silentLogger } });
    // Act
    const home = await fetch(`${demo.siteUrl}/`);
    const product = await fetch(`${demo.siteUrl}/products/7`);
    const missing = await fetch(`${demo.siteUrl}/products/9999`);
    // Assess
    expect(home.status).toBe(200);
    expect(home.headers.get('content-type')).toMatch(/text\/html/);
    expect(await home.text()).toMatch(/<h1>Featured<\/h1>.*href="\/products\/1"/s);
    expect(product.status).toBe(200);
    expect(await product.text()).toMatch(/Customers also bought/);
    expect(missing.status).toBe(404);
  });

  it('does not serve the admin endpoints on the site port, only on the admin port', async () => {
    demo = await startDemo({
      port: 0,
      adminPort: 0,
      publicKeys: [TEST_KEYS.publicKey],
      admin: { logger: silentLogger },
    });
    for (const [method, path] of [
      ['GET', '/metrics'],
      ['GET', '/healthz'],
      ['POST', '/heap/snapshot'],
    ]) {
      const onSite = await fetch(`${demo.siteUrl}${path}`, { method });
      expect([path, onSite.status]).toEqual([path, 404]);
    }
    expect((await fetch(`${demo.adminUrl}/metrics`)).status).toBe(200);
    expect(demo.siteUrl).not.toBe(demo.adminUrl);
  });

  it('exports the leak registry and runs every leak', async () => {
    expect(leakNames).toEqual(['none', 'memoize', 'listeners', 'request-log', 'buffers']);
    expect(() => findLeak('mystery')).toThrow(
      /leak "mystery" is unknown: use one of none, memoize, listeners, request-log/,
    );
    for (const name of leakNames) {
      const service = await startDemo({ port: 0, adminPort: 0, leak: name, admin: { logger: silentLogger } });
      try {
        const pages = await Promise.all(
          ['/', '/products/3', '/products/3'].map((p) => fetch(`${service.siteUrl}${p}`)),
        );
        expect(pages.map((p) => p.status)).toEqual([200, 200, 200]);
      } finally {
        await service.close();
      }
    }
  });

  it('renders the same page whichever leak is on (leaks only change what is kept)', () => {
    const request = { requestId: 'r1', method: 'GET', path: '/products/5', headers: {} };
    const [plain, ...others] = LEAKS.map((leak) => leak.create().recommendations(request, 5));
    for (const html of others) expect(html).toBe(plain);
  });
});
