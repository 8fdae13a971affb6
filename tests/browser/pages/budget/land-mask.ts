export { loadLandMask, samplePointsOnLand } from '@worldstrat/geo-sampling';
