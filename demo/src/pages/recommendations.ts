import { relatedProducts } from '../catalog';
import { productCard } from './html';

/** The "customers also bought" block of a product page; what the memoize leak caches. */
export function renderRecommendations(productId: number): string {
  return `<section class="recommendations"><h2>Customers also bought</h2><ul>${relatedProducts(productId)
    .map(productCard)
    .join('')}</ul></section>`;
}
