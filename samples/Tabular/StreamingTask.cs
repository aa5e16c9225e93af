using System.Diagnostics;
using System.Globalization;
using System.Text;
using NeuralNet.Activations;
using NeuralNet.Data;
using NeuralNet.Datasets;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Training;

namespace NeuralNet.Samples.Tabular;

/// <summary>
/// Training from a CSV file that is never loaded whole: the file is read in chunks of rows (<c>CsvTable.ReadChunks</c>),
/// each chunk is one batch of a stream given to <c>Fit</c>, and the next chunks are parsed on the prefetch worker while
/// the model trains. The table is synthetic (written by the sample, with a fixed seed) because the point is its size:
/// a power-plant-like regression, output from eight sensor readings and the site, with a known noise floor.
/// </summary>
internal static class StreamingTask
{
    private const int RowsPerBatch = 256;
    private static readonly string[] Sites = ["north", "south", "east", "west"];

    /// <summary>Writes the files if needed, trains from them in chunks; returns the validation MAE, the baseline's and the noise floor.</summary>
    public static (double Mae, double BaselineMae, double NoiseMae) Run(bool quick, string outFolder, long seed = 42)
    {
        int trainRows = quick ? 20_000 : 2_000_000;
        Directory.CreateDirectory(outFolder);
        string train = Path.Combine(outFolder, $"sensors-train-{trainRows}.csv");
        string validation = Path.Combine(outFolder, $"sensors-validation-{trainRows / 20}.csv");
        double noiseMae = Write(train, trainRows, seed);
        Write(validation, trainRows / 20, seed + 1);
        long fileBytes = new FileInfo(train).Length;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{train}: {trainRows:N0} rows, {fileBytes / 1e6:0} MB; read {RowsPerBatch} rows at a time"));

        var options = new CsvReadOptions
        {
            LabelColumns = ["output"],
            CategoricalColumns = ["site"],
            CategoricalEncoding = CategoricalEncoding.OneHot,
            Vocabularies = new Dictionary<string, IReadOnlyList<string>> { ["site"] = Sites },
        };

        // The stream of batches: enumerated afresh each epoch, so each epoch reads the file again from the start.
        IEnumerable<DataBatch> Batches(string path)
        {
            foreach (CsvData chunk in CsvTable.ReadChunks(path, RowsPerBatch, options))
            {
                yield return new DataBatch(chunk.Features, chunk.Labels!);
            }
        }

        // Normalization learns each feature's mean and variance in one streaming pass over the features.
        var normalization = new Normalization();
        normalization.Adapt(CsvTable.ReadChunks(train, 8192, options).Select(chunk => chunk.Features));

        var model = new Sequential(
        [
            new InputLayer(8 + Sites.Length),
            normalization,
            new Dense(64, ActivationFunction.Relu),
            new Dense(64, ActivationFunction.Relu),
            new Dense(1),
        ], name: "sensors", seed: seed);
        model.Compile(new Adam(0.001f), new MeanSquaredError(), new MeanAbsoluteErrorMetric());

        var clock = Stopwatch.StartNew();
        History history = model.Fit(Batches(train), epochs: quick ? 1 : 2, validationData: DataSource.FromBatches(Batches(validation)),
            verbose: 2, prefetch: 4);
        double seconds = clock.Elapsed.TotalSeconds;
        double mae = history["val_mean_absolute_error"][^1];

        // The baseline: always predict the mean output of the training file (one more streaming pass).
        double sum = 0;
        long count = 0;
        foreach (CsvData chunk in CsvTable.ReadChunks(train, 8192, options))
        {
            foreach (float y in chunk.Labels!.AsReadOnlySpan())
            {
                sum += y;
                count++;
            }
        }

        double mean = sum / count, absolute = 0;
        long validationCount = 0;
        foreach (CsvData chunk in CsvTable.ReadChunks(validation, 8192, options))
        {
            foreach (float y in chunk.Labels!.AsReadOnlySpan())
            {
                absolute += Math.Abs(y - mean);
                validationCount++;
            }
        }

        double baseline = absolute / validationCount;
        double peakMiB = Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024.0);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Validation MAE {mae:0.000} (noise floor {noiseMae:0.000}; the training mean {mean:0.00} gives {baseline:0.000}); {history.EpochCount} epochs in {seconds:0.0} s, {trainRows * history.EpochCount / seconds:N0} rows/s; peak working set {peakMiB:0} MiB for a {fileBytes / 1e6:0} MB file"));
        return (mae, baseline, noiseMae);
    }

    // Writes `rows` rows (once: an existing file of the same name is reused) and returns the mean absolute noise of its targets.
    private static double Write(string path, int rows, long seed)
    {
        var random = new Random((int)seed);
        double noise = 0;
        bool exists = File.Exists(path);
        string temporary = path + ".partial";
        using (TextWriter writer = exists ? TextWriter.Null : new StreamWriter(temporary, false, new UTF8Encoding(false), 1 << 16))
        {
            writer.Write("temperature,pressure,humidity,vacuum,flow,vibration,load,age,site,output\n");
            Span<double> x = stackalloc double[8];
            var line = new StringBuilder(128);
            for (int r = 0; r < rows; r++)
            {
                for (int i = 0; i < x.Length; i++)
                {
                    x[i] = random.NextDouble();
                }

                int site = random.Next(Sites.Length);
                double clean = 20 - (30 * x[0]) + (8 * Math.Sin(6 * x[1])) - (12 * x[3] * x[3]) + (5 * x[4] * x[2]) + (10 * x[6]) - (3 * x[7]) + (2.5 * site);
                double error = 2 * ((random.NextDouble() + random.NextDouble() + random.NextDouble()) - 1.5);
                noise += Math.Abs(error);
                if (exists)
                {
                    continue;
                }

                line.Clear();
                for (int i = 0; i < x.Length; i++)
                {
                    line.Append(CultureInfo.InvariantCulture, $"{x[i]:0.0000},");
                }

                line.Append(Sites[site]).Append(',').Append(CultureInfo.InvariantCulture, $"{clean + error:0.000}").Append('\n');
                writer.Write(line);
            }
        }

        if (!exists)
        {
            File.Move(temporary, path, overwrite: true);
        }

        return noise / rows;
    }
}
