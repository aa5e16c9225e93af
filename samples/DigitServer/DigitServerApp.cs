using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.FileProviders;
using NeuralNet.Datasets;
using NeuralNet.Models;

namespace NeuralNet.Samples.DigitServer;

/// <summary>
/// Builds and runs the server: the page (embedded <c>Page/</c> files: index.html, digits.js, digits.css) at <c>/</c>
/// and <c>POST /api/predict</c>, both over the one model given by <c>--model path</c> (configuration key <c>Model</c>),
/// or trained at start-up when none is given.
/// </summary>
internal static class DigitServerApp
{
    /// <summary>Where the model trained at start-up is saved, and looked for on the next start (relative to the current folder).</summary>
    public const string DefaultModelPath = "out/digitserver-mnist.safetensors";

    /// <summary>The entry point: serves until stopped, or with <c>--check</c> answers a few requests and exits.</summary>
    /// <param name="args">Command-line arguments: <c>--model path</c>, <c>--epochs n</c>, <c>--urls ...</c>, <c>--check</c>,
    /// and any other ASP.NET Core configuration.</param>
    /// <returns>0 on success, 1 when the check fails, 2 when the model cannot be loaded or served, 3 when the server
    /// cannot listen (the port is in use, <c>--urls</c> is not a valid address).</returns>
    public static Task<int> RunAsync(string[] args) => RunAsync(args, Console.Out, Console.Error);

    /// <summary>The entry point, writing to the given writers: the model's origin and the check's answers to
    /// <paramref name="output"/>, a one-line reason to <paramref name="error"/> when the server cannot start.</summary>
    /// <param name="args">As for <see cref="RunAsync(string[])"/>.</param>
    /// <param name="output">Where progress and the check's answers go.</param>
    /// <param name="error">Where the reason for exit codes 2 and 3 goes.</param>
    /// <returns>As for <see cref="RunAsync(string[])"/>.</returns>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        bool check = args.Contains("--check", StringComparer.Ordinal);
        string[] rest = [.. args.Where(a => a != "--check")];
        if (check && !rest.Any(a => a.StartsWith("--urls", StringComparison.OrdinalIgnoreCase)))
        {
            rest = [.. rest, "--urls", "http://127.0.0.1:0"];
        }

        WebApplication app;
        try
        {
            app = Build(rest, output);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or FormatException
            or DatasetUnavailableException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"DigitServer: {OneLine(e.Message)}");
            return 2;
        }

        await using (app)
        {
            try
            {
                await app.StartAsync();
            }
            catch (Exception e) when (e is IOException or FormatException or InvalidOperationException)
            {
                // Kestrel's bind failures (an address in use: IOException) and bad addresses (FormatException,
                // InvalidOperationException for a scheme it does not serve), said in one line rather than a stack trace.
                string urls = app.Configuration["urls"] ?? "http://localhost:5000";
                await error.WriteLineAsync($"DigitServer: cannot listen on {OneLine(urls)}: {OneLine(e.Message)}");
                return 3;
            }

            if (!check)
            {
                await app.WaitForShutdownAsync();
                return 0;
            }

            return await CheckAsync(app, output);
        }
    }

    // Exception messages may span lines (an inner message appended); the console gets one.
    private static string OneLine(string message) => string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries));

    /// <summary>Loads (or trains) the model and builds the app; the caller starts it.</summary>
    /// <param name="args">As for <see cref="RunAsync"/>, without <c>--check</c>.</param>
    /// <param name="log">Where the model's origin (and training progress) is written.</param>
    /// <returns>The app, not started.</returns>
    /// <exception cref="IOException">The model file cannot be read or the trained model cannot be saved.</exception>
    /// <exception cref="InvalidDataException">The model file is damaged, or the model's start-up prediction is not ten
    /// probabilities (NaN weights, say).</exception>
    /// <exception cref="ArgumentException">The model does not take 784 values and give 10, or does not end in a softmax.</exception>
    public static WebApplication Build(string[] args, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(log);
        WebApplicationBuilder builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args });
        builder.WebHost.ConfigureKestrel(options => options.Limits.MaxRequestBodySize = PredictEndpoint.MaxBodyBytes);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning); // no line per request; "Now listening on" stays
        // "Hosting failed to start" with a stack trace: RunAsync says why in one line (and the app has no background
        // service whose errors this category would also report).
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        builder.Services.AddSingleton(LoadClassifier(builder.Configuration, log));

        WebApplication app = builder.Build();
        app.Use(async (context, next) =>
        {
            // The page uses its own files only: no CDN, no inline script.
            context.Response.Headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:";
            context.Response.Headers.XContentTypeOptions = "nosniff";
            await next(context);
        });
        var page = new EmbeddedFileProvider(typeof(DigitServerApp).Assembly, "DigitServer.Page");
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = page });
        app.UseStaticFiles(new StaticFileOptions { FileProvider = page });
        app.MapPost("/api/predict", PredictEndpoint.HandleAsync);
        return app;
    }

    private static DigitClassifier LoadClassifier(IConfiguration configuration, TextWriter log)
    {
        string? path = configuration["Model"];
        if (!string.IsNullOrWhiteSpace(path))
        {
            string full = Path.GetFullPath(path);
            log.WriteLine($"Loading the model from {full}");
            return new DigitClassifier(Model.Load(full), full);
        }

        string saved = Path.GetFullPath(DefaultModelPath);
        if (File.Exists(saved))
        {
            log.WriteLine($"No --model given; loading the model trained on an earlier start from {saved}; --epochs does not apply to it (delete the file to train again)");
            return new DigitClassifier(Model.Load(saved), saved);
        }

        string epochsText = configuration["Epochs"] ?? "1";
        if (!int.TryParse(epochsText, NumberStyles.None, CultureInfo.InvariantCulture, out int epochs) || epochs is < 1 or > 100)
        {
            throw new ArgumentException($"--epochs must be a whole number in [1, 100]; got '{epochsText}'.");
        }

        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"No --model given; training 784-512-10 on MNIST for {epochs} epoch(s)"));
        MnistData mnist = Mnist.Load();
        Sequential model = DigitModel.Train(mnist.Train, epochs: epochs, output: log);
        IReadOnlyDictionary<string, double> test = model.Evaluate(mnist.Test.Features, mnist.Test.OneHotLabels(), verbose: 0);
        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Test accuracy {test["accuracy"]:0.0000}; saving the model to {saved}"));
        Directory.CreateDirectory(Path.GetDirectoryName(saved)!);
        model.Save(saved);
        return new DigitClassifier(model, saved);
    }

    /// <summary>Fetches the page of the started app, sends one good and one bad request, stops it: a smoke test for CI.</summary>
    private static async Task<int> CheckAsync(WebApplication app, TextWriter log)
    {
        try
        {
            var address = new Uri(app.Urls.First());
            using var http = new HttpClient { BaseAddress = address };
            var failures = new List<string>();

            string page = await http.GetStringAsync(new Uri("/", UriKind.Relative));
            if (!page.Contains("id=\"pad\"", StringComparison.Ordinal))
            {
                failures.Add("GET / did not return the drawing page");
            }

            // A vertical bar, MNIST style: a "1".
            var one = new float[PixelRequest.PixelCount];
            for (int y = 4; y < 24; y++)
            {
                one[(y * 28) + 13] = 1f;
                one[(y * 28) + 14] = 1f;
            }

            using HttpResponseMessage good = await http.PostAsJsonAsync(new Uri("/api/predict", UriKind.Relative), new { pixels = one });
            string goodBody = await good.Content.ReadAsStringAsync();
            log.WriteLine($"POST /api/predict (a vertical bar) -> {(int)good.StatusCode} {goodBody}");
            if (!good.IsSuccessStatusCode)
            {
                failures.Add("a valid request was not answered with 200");
            }
            else
            {
                using JsonDocument json = JsonDocument.Parse(goodBody);
                float[] p = [.. json.RootElement.GetProperty("probabilities").EnumerateArray().Select(e => e.GetSingle())];
                if (p.Length != 10 || Math.Abs(p.Sum() - 1) > 1e-3)
                {
                    failures.Add(string.Create(CultureInfo.InvariantCulture, $"expected 10 probabilities summing to 1, got {p.Length} summing to {p.Sum()}"));
                }
            }

            using HttpResponseMessage bad = await http.PostAsJsonAsync(new Uri("/api/predict", UriKind.Relative), new { pixels = new[] { 1, 2 } });
            log.WriteLine($"POST /api/predict (2 pixels) -> {(int)bad.StatusCode} {await bad.Content.ReadAsStringAsync()}");
            if (bad.StatusCode != System.Net.HttpStatusCode.BadRequest)
            {
                failures.Add("a request with 2 pixels was not answered with 400");
            }

            foreach (string failure in failures)
            {
                log.WriteLine($"check failed: {failure}");
            }

            log.WriteLine(failures.Count == 0 ? $"check passed ({address})" : "check failed");
            return failures.Count == 0 ? 0 : 1;
        }
        finally
        {
            await app.StopAsync();
        }
    }
}
