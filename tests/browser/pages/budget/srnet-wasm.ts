// srnet with one backend loaded eagerly (the others stay lazy chunks).
import '@tensorflow/tfjs-backend-wasm';

export { createTfjsEngine, selectBackend, stateDictFromSafetensors } from '@worldstrat/srnet';
