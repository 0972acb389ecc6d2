import { type LeakDefinition, NO_LEAK } from './leak';

export const none: LeakDefinition = {
  name: 'none',
  description: 'No leak: the demo keeps no per-request state.',
  create: () => NO_LEAK,
};
