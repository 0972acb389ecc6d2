import { randomUUID } from 'node:crypto';
import { Router } from '@koa/router';
import Koa from 'koa';
import { findProduct } from './catalog';
import type { Leak, PageRequest } from './leaks';
import { renderHome } from './pages/home';
import { layout } from './pages/html';
import { renderProduct } from './pages/product';

interface DemoState {
  page: PageRequest;
}

/** The shop's pages only; the admin endpoints live on the agent's own port and are never routed here. */
export function createDemoApp(leak: Leak): Koa<DemoState> {
  const app = new Koa<DemoState>();
  const router = new Router<DemoState>();

  app.use(async (ctx, next) => {
    const requestId = ctx.get('x-request-id').slice(0, 64) || randomUUID();
    ctx.state.page = { requestId, method: ctx.method, path: ctx.path, headers: ctx.headers };
    ctx.set('X-Request-Id', requestId);
    leak.onRequest(ctx.state.page);
    await next();
  });

  router.get('/', (ctx) => {
    ctx.type = 'html';
    ctx.body = renderHome();
  });

  router.get('/products/:id', (ctx) => {
    const product = findProduct(Number(ctx.params.id));
    if (!product) {
      ctx.status = 404;
      ctx.type = 'html';
      ctx.body = layout('Not found', `<h1>No product ${Number(ctx.params.id) || ''}</h1>`);
      return;
    }
    ctx.type = 'html';
    ctx.body = renderProduct(product, leak.recommendations(ctx.state.page, product.id));
  });

  app.use(router.routes());
  app.use(router.allowedMethods());
  app.silent = true;
  return app;
}
