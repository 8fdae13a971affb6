export * from '@worldstrat/metrics';
