import { PRODUCTS } from '../catalog';
import { layout, productCard } from './html';

export function renderHome(): string {
  return layout(
    'Home',
    `<h1>Featured</h1><ul class="featured">${PRODUCTS.slice(0, 12).map(productCard).join('')}</ul>`,
  );
}
