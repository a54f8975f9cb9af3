using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Vnvdimm.Benchmarks.DsmBenchmarks).Assembly).Run(args);
