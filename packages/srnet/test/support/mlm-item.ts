// A STAC MLM item describing the tests' tiny ×4 ONNX model (the real extension's field layout).

/** An MLM STAC Item for the tiny model (the real extension's field layout). */
export function tinyItem(
  overrides: Record<string, unknown> = {},
  inputOverrides: Record<string, unknown> = {},
) {
  return {
    type: 'Feature',
    stac_version: '1.0.0',
    stac_extensions: ['https://stac-extensions.github.io/mlm/v1.4.0/schema.json'],
    id: 'tiny-x4',
    geometry: null,
    properties: {
      datetime: null,
      'mlm:name': 'tiny-x4',
      'mlm:architecture': 'nearest + bias',
      'mlm:tasks': ['super-resolution'],
      'mlm:framework': 'ONNX',
      'mlm:input': [
        {
          name: 'image',
          bands: ['B04', 'B03', 'B02', { name: 'B08' }],
          input: {
            shape: [-1, 4, 16, 16],
            dim_order: ['batch', 'bands', 'height', 'width'],
            data_type: 'float32',
          },
          value_scaling: [{ type: 'scale', value: 10000 }],
          resize_type: null,
          pre_processing_function: null,
          ...inputOverrides,
        },
      ],
      'mlm:output': [
        {
          name: 'sr',
          tasks: ['super-resolution'],
          result: {
            shape: [-1, 4, 64, 64],
            dim_order: ['batch', 'channel', 'height', 'width'],
            data_type: 'float32',
          },
          post_processing_function: null,
        },
      ],
      ...overrides,
    },
    assets: {
      model: {
        href: './tiny-x4.onnx',
        type: 'application/octet-stream; application=onnx',
        roles: ['mlm:model'],
        'mlm:artifact_type': 'onnx',
      },
    },
    links: [],
  };
}
