// Registers TF.js's gradient functions (global registry). tfjs-core's Node build ships none and its ESM modules
// are not loadable by Node, so the build bundles this registration into dist/internal/register-gradients.*;
// training imports it on first use (see ensureGradients in train.ts).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
