using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Exporters.Csv;
using BenchmarkDotNet.Exporters.Json;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using HardNegOT.Bench;

// bench workloads        write the shared workload files the peers read
// bench report DIR       turn results into docs/benchmarks (Markdown + PNG)
// bench [BDN args]       run the BenchmarkDotNet suites (e.g. --filter '*Sinkhorn*')
switch (args.FirstOrDefault())
{
    case "workloads":
        foreach (var workload in BenchSettings.Workloads())
        {
            workload.Load();
            Console.WriteLine(workload.FilePath);
        }
        return 0;
    case "report":
        return BenchReport.Write(args.Skip(1).ToArray());
}

var job = BenchSettings.Quick
    ? Job.Default.WithWarmupCount(1).WithIterationCount(3).WithLaunchCount(1)
    : Job.Default.WithWarmupCount(1).WithIterationCount(5).WithLaunchCount(1);
var config = DefaultConfig.Instance
    .AddJob(job)
    .AddExporter(MarkdownExporter.GitHub, CsvExporter.Default, JsonExporter.Full)
    .WithOptions(ConfigOptions.DisableOptimizationsValidator)
    // Workload names are joined to the solve log by name: keep them whole in the results.
    .WithSummaryStyle(BenchmarkDotNet.Reports.SummaryStyle.Default.WithMaxParameterColumnWidth(64));
BenchmarkSwitcher.FromAssembly(typeof(SinkhornBenchmarks).Assembly).Run(args, config);
return 0;
