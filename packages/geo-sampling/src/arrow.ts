// `@worldstrat/geo-sampling/arrow`: AOI, point and POI tables as apache-arrow Tables and Arrow IPC bytes.
// A separate entry because apache-arrow (≈14 MB installed) is an optional peer: install it to use this entry.
export {
  aoisFromIpc,
  aoisToIpc,
  aoisToTable,
  pointsToTable,
  poisToTable,
  tableToAois,
} from './table/aoi-table.js';
