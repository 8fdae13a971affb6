// `download-release`: the app's pipeline around @worldstrat/dataset's downloadRelease (what to fetch, MD5s,
// extraction all live there).
import {
  type DownloadReleaseOptions,
  type DownloadReleaseResult,
  downloadRelease,
} from '@worldstrat/dataset/node';
import { definePipeline } from './pipeline.js';

/** The `download-release` pipeline (see `downloadRelease` in `@worldstrat/dataset/node`). */
export const downloadReleasePipeline = definePipeline<DownloadReleaseOptions, DownloadReleaseResult>({
  name: 'download-release',
  description:
    'download the WorldStrat release (Zenodo 6810792), verify MD5s, unpack hr_dataset/lr_dataset and the CSVs',
  run: downloadRelease,
});
