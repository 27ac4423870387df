using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace HardNegOT.Torch.Study;

/// <summary>A study directory that cannot be used: another budget, or an unreadable runs.jsonl / study.json.</summary>
/// <param name="message">What is wrong, naming the file.</param>
/// <param name="innerException">The underlying failure, if any.</param>
public sealed class StudyStoreException(string message, Exception? innerException = null) : Exception(message, innerException);

/// <summary>
/// A study's output directory: study.json (the budget every run shares), runs.jsonl (one finished run a line,
/// appended as runs finish, so an interrupted study resumes by skipping them) and runs.csv (the same runs, flat).
/// </summary>
public sealed class StudyStore
{
    /// <summary>The budget file.</summary>
    public const string StudyFileName = "study.json";

    /// <summary>The per-run results, one JSON object a line.</summary>
    public const string RunsFileName = "runs.jsonl";

    /// <summary>The per-run results as a table.</summary>
    public const string CsvFileName = "runs.csv";

    /// <summary>Columns of runs.csv.</summary>
    public const string CsvHeader =
        "run,negatives,beta,cost,epsilon,loss,seed,knn_top1,linear_top1,untrained_knn_top1,untrained_linear_top1,final_loss,mean_sinkhorn_iterations,knn_per_epoch,wall_seconds,cpu_seconds,finished_utc";

    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private static readonly JsonSerializerOptions IndentedJson = new(Json) { WriteIndented = true };

    private StudyStore(string directory) => Directory = directory;

    /// <summary>The directory.</summary>
    public string Directory { get; }

    /// <summary>
    /// Opens (creating if needed) the study directory for <paramref name="budget"/>: a new directory gets study.json; an
    /// existing one must have been written under the same budget.
    /// </summary>
    /// <param name="directory">The output directory.</param>
    /// <param name="budget">The budget of this invocation.</param>
    /// <exception cref="StudyStoreException">The directory holds a study with another budget, or an unreadable study.json.</exception>
    public static StudyStore Open(string directory, StudyBudget budget)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(budget);
        System.IO.Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, StudyFileName);
        if (File.Exists(path))
        {
            StudyBudget? saved;
            try
            {
                saved = JsonSerializer.Deserialize<StudyBudget>(File.ReadAllText(path), Json);
            }
            catch (JsonException ex)
            {
                throw new StudyStoreException($"'{path}' is not a study budget: {ex.Message}", ex);
            }
            if (saved != budget)
                throw new StudyStoreException(
                    $"'{directory}' holds a study run under another budget ({Describe(saved)}; this one: {Describe(budget)}); " +
                    "runs with different budgets are not comparable. Choose another --out, or delete that directory.");
        }
        else
        {
            File.WriteAllText(path, JsonSerializer.Serialize(budget, IndentedJson) + "\n");
        }
        return new StudyStore(directory);
    }

    /// <summary>
    /// The finished runs in runs.jsonl, by run key. A last line cut short by an interrupted write is dropped (and
    /// removed from the file); any other unreadable line is an error.
    /// </summary>
    /// <exception cref="StudyStoreException">A line before the last cannot be read.</exception>
    public IReadOnlyDictionary<string, StudyRunRecord> Load()
    {
        var path = Path.Combine(Directory, RunsFileName);
        var records = new Dictionary<string, StudyRunRecord>();
        if (!File.Exists(path)) return records;
        var lines = File.ReadAllLines(path).Where(l => l.Length > 0).ToList();
        for (int i = 0; i < lines.Count; i++)
        {
            StudyRunRecord? record;
            try
            {
                record = JsonSerializer.Deserialize<StudyRunRecord>(lines[i], Json);
            }
            catch (JsonException ex)
            {
                if (i < lines.Count - 1) throw new StudyStoreException($"'{path}' line {i + 1} is not a run record: {ex.Message}", ex);
                record = null;
            }
            if (record?.Spec is null)
            {
                if (i < lines.Count - 1) throw new StudyStoreException($"'{path}' line {i + 1} is not a run record.");
                // An interrupted append: forget it so the run is redone and the file stays one record a line.
                File.WriteAllLines(path, lines.Take(i));
                break;
            }
            records[record.Spec.Key] = record;
        }
        return records;
    }

    /// <summary>Appends one finished run to runs.jsonl (one line, flushed) and rewrites runs.csv from every record.</summary>
    /// <param name="record">The run.</param>
    public void Append(StudyRunRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var path = Path.Combine(Directory, RunsFileName);
        using (var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read))
        using (var writer = new StreamWriter(stream, new UTF8Encoding(false)))
        {
            writer.Write(JsonSerializer.Serialize(record, Json));
            writer.Write('\n');
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }
        WriteCsv(Load().Values);
    }

    /// <summary>Writes runs.csv: one row per record, in the given order.</summary>
    /// <param name="records">The runs.</param>
    public void WriteCsv(IEnumerable<StudyRunRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        static string F(double? v) => v is { } x ? x.ToString("R", CultureInfo.InvariantCulture) : "";
        var text = new StringBuilder(CsvHeader).Append('\n');
        foreach (var r in records)
        {
            var s = r.Spec;
            var n = s.Negatives;
            string perEpoch = string.Join(';', r.Evaluations.Select(e => F(e.KnnTop1)));
            double? finalLoss = r.Evaluations.Count > 0 ? r.Evaluations[^1].Loss : null;
            text.Append(CultureInfo.InvariantCulture,
                $"{s.Key},{n.Sampling.ToString().ToLowerInvariant()},{F(n.Beta)},{n.Cost},{F(n.Epsilon)},{StudyGrid.LossName(s.Loss)},{s.Seed},")
                .Append(CultureInfo.InvariantCulture,
                $"{F(r.KnnTop1)},{F(r.LinearTop1)},{F(r.UntrainedKnnTop1)},{F(r.UntrainedLinearTop1)},{F(finalLoss)},{F(r.MeanSinkhornIterations)},{perEpoch},{F(Math.Round(r.WallSeconds, 1))},{F(Math.Round(r.CpuSeconds, 1))},{r.FinishedUtc}\n");
        }
        File.WriteAllText(Path.Combine(Directory, CsvFileName), text.ToString());
    }

    private static string Describe(StudyBudget? b) => b is null
        ? "empty"
        : string.Create(CultureInfo.InvariantCulture,
            $"B = {b.BatchSize}, {b.Epochs} × {b.StepsPerEpoch} steps, train {b.TrainSubset}, bank {b.EvalBank}, queries {b.EvalQueries}, k {b.KnnK}, readout {b.LinearEpochs}, lr {b.LearningRate}, t {b.Temperature}, τ⁺ {b.TauPlus}, κ {b.Kappa}");
}
