/** Where to get a classification dataset and how to open it. */
export interface ClassDataset {
  /** Short id. */
  id: 'esa-cci-lccs-2020' | 'ghsl-smod-2015' | 'esa-worldcover-2021';
  title: string;
  /** CRS to pass to `openClassRaster` when the file does not name one. */
  crs: string;
  /** Pixel size in the raster's units. */
  pixelSize: number;
  /** Legend to use with `classifyPoints`. */
  legend: 'lccs' | 'smod' | 'worldcover';
  /** Where users download it (no account needed unless stated). */
  source: string;
  /** How to prepare it, when needed. */
  notes: string;
}

/**
 * The stratification datasets upstream used (ESA CCI LCCS 2020 v2.1.1, GHSL SMOD 2015 R2019A) and the modern
 * free alternative (ESA WorldCover 10 m), with download locations. See the package README.
 */
export const CLASS_DATASETS: Readonly<Record<ClassDataset['id'], ClassDataset>> = Object.freeze({
  'esa-cci-lccs-2020': {
    id: 'esa-cci-lccs-2020',
    title: 'ESA CCI / C3S Land Cover 2020 v2.1.1 (LCCS, 300 m)',
    crs: 'EPSG:4326',
    pixelSize: 1 / 360,
    legend: 'lccs',
    source:
      'Copernicus Climate Data Store, dataset "satellite-land-cover" (https://cds.climate.copernicus.eu/datasets/satellite-land-cover, free account), file C3S-LC-L4-LCCS-Map-300m-P1Y-2020-v2.1.1.nc; also as COGs in Microsoft Planetary Computer collection "esa-cci-lc"',
    notes:
      'gdalwarp -of GTiff -co COMPRESS=LZW -co TILED=YES -ot Byte -te -180 -90 180 90 -tr 0.002777777777778 0.002777777777778 -t_srs EPSG:4326 NETCDF:<file>.nc:lccs_class C3S-LC-L4-LCCS-Map-300m-P1Y-2020-v2.1.1.tif',
  },
  'ghsl-smod-2015': {
    id: 'ghsl-smod-2015',
    title: 'GHSL Settlement Model (SMOD) 2015, R2019A, 1 km, V2.0 (Mollweide)',
    crs: 'ESRI:54009',
    pixelSize: 1000,
    legend: 'smod',
    source:
      'https://cidportal.jrc.ec.europa.eu/ftp/jrc-opendata/GHSL/GHS_SMOD_POP_GLOBE_R2019A/GHS_SMOD_POP2015_GLOBE_R2019A_54009_1K/V2-0/GHS_SMOD_POP2015_GLOBE_R2019A_54009_1K_V2_0.zip (unzip; use the .tif)',
    notes:
      "The GeoTIFF's CRS is user-defined Mollweide; raster-io recognises it as ESRI:54009 (or pass { crs: 'ESRI:54009' }). NoData = -200.",
  },
  'esa-worldcover-2021': {
    id: 'esa-worldcover-2021',
    title: 'ESA WorldCover 10 m 2021 v200',
    crs: 'EPSG:4326',
    pixelSize: 1 / 12000,
    legend: 'worldcover',
    source:
      'Public COG tiles, no account: https://esa-worldcover.s3.eu-central-1.amazonaws.com/v200/2021/map/ESA_WorldCover_10m_2021_v200_<N|S><lat:02d><E|W><lon:03d>_Map.tif (3°×3° tiles named by their south-west corner)',
    notes:
      "Open one tile per region with openClassRaster(url); use classifyPoints({ landcoverLegend: 'worldcover' }).",
  },
});
