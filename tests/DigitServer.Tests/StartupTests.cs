using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Samples.DigitServer.Tests;

/// <summary>
/// What the server does with a model it cannot serve, or an address it cannot listen on: exit codes 2 and 3 with one
/// line that says why, before any request. Each test runs <see cref="DigitServerApp.RunAsync(string[], TextWriter, TextWriter)"/>
/// with <c>--check</c>, so a server that started by mistake answers its check and exits rather than serve forever.
/// </summary>
public sealed class StartupTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("digitserver-startup-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Run_MissingModelFile_Exits2WithOneLine()
    {
        string missing = Path.Combine(_directory, "missing.safetensors");

        (int code, string error) = await RunAsync("--model", missing);

        Assert.Equal(2, code);
        AssertOneLine(error, "DigitServer: ");
        Assert.Contains("missing.safetensors", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_CorruptModelFile_Exits2WithOneLine()
    {
        string corrupt = Path.Combine(_directory, "corrupt.safetensors");
        await File.WriteAllBytesAsync(corrupt, [.. Enumerable.Range(0, 300).Select(i => (byte)(i * 37))]);

        (int code, string error) = await RunAsync("--model", corrupt);

        Assert.Equal(2, code);
        AssertOneLine(error, "DigitServer: ");
        Assert.Contains("corrupt.safetensors", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ModelWithNaNWeights_Exits2BeforeServing()
    {
        Sequential model = Softmax784To10();
        model.SetWeights([.. model.GetWeights().Select(w => Tensor.Filled(float.NaN, w.Shape.Dimensions))]);

        (int code, string error) = await RunAsync("--model", Save(model, "nan.safetensors"));

        Assert.Equal(2, code);
        AssertOneLine(error, "DigitServer: DigitServer serves models that give 10 probabilities; ");
        Assert.Contains("gives NaN for digit 0 of a blank image (are its weights finite?)", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ModelThatDoesNotEndInASoftmax_Exits2()
    {
        var model = new Sequential([new InputLayer(784), new Dense(10)], seed: 2);

        (int code, string error) = await RunAsync("--model", Save(model, "logits.safetensors"));

        Assert.Equal(2, code);
        AssertOneLine(error, "DigitServer: DigitServer serves models that end in a softmax over the 10 digits");
        Assert.Contains("Dense 'dense'", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_PortInUse_Exits3WithOneLine()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;

        (int code, string error) = await RunAsync("--model", Save(Softmax784To10(), "good.safetensors"), "--urls", $"http://127.0.0.1:{port}");

        Assert.Equal(3, code);
        AssertOneLine(error, $"DigitServer: cannot listen on http://127.0.0.1:{port}: ");
        Assert.Contains("address already in use", error, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("notaurl", "Invalid url")]
    [InlineData("ftp://127.0.0.1:0", "Only 'http://' and 'https://' are supported")]
    public async Task Run_BadUrls_Exits3WithOneLine(string urls, string reason)
    {
        (int code, string error) = await RunAsync("--model", Save(Softmax784To10(), "good.safetensors"), "--urls", urls);

        Assert.Equal(3, code);
        AssertOneLine(error, $"DigitServer: cannot listen on {urls}: ");
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Predict_ImageForWhichTheModelGivesNaN_Answers500WithTheJsonErrorShape()
    {
        // Finite for the start-up probe (a blank image, a full one: the hidden unit is 0 for both), but one ink pixel
        // in the top-left corner makes the hidden unit 1e30 and the logit 1e60, which overflows to NaN in the softmax.
        var model = new Sequential([new InputLayer(784), new Dense(1, ActivationFunction.Relu), new Dense(10, ActivationFunction.Softmax)], seed: 2);
        Tensor hidden = new(784, 1);
        hidden[0, 0] = 1e30f;
        hidden[1, 0] = -1e30f;
        Tensor output = new(1, 10);
        output[0, 0] = 1e30f;
        model.SetWeights([hidden, new Tensor(1), output, new Tensor(10)]);
        await using WebApplication app = DigitServerApp.Build(["--model", Save(model, "overflow.safetensors"), "--urls", "http://127.0.0.1:0"], TextWriter.Null);
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };
        var pixels = new float[784];
        pixels[0] = 1;

        using HttpResponseMessage response = await http.PostAsJsonAsync(new Uri("/api/predict", UriKind.Relative), new { pixels });

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.StartsWith("the model gave a value that is not a finite number for this image", json.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
        using HttpResponseMessage blank = await http.PostAsJsonAsync(new Uri("/api/predict", UriKind.Relative), new { pixels = new float[784] });
        Assert.Equal(HttpStatusCode.OK, blank.StatusCode);
        await app.StopAsync();
    }

    private static Sequential Softmax784To10() => new([new InputLayer(784), new Dense(10, ActivationFunction.Softmax)], seed: 2);

    private static void AssertOneLine(string error, string start)
    {
        Assert.StartsWith(start, error, StringComparison.Ordinal);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    private string Save(Model model, string name)
    {
        string path = Path.Combine(_directory, name);
        model.Save(path);
        return path;
    }

    private static async Task<(int Code, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = await DigitServerApp.RunAsync([.. args, "--check", "--Logging:LogLevel:Default", "Warning"], output, error).WaitAsync(TimeSpan.FromMinutes(2));
        return (code, error.ToString());
    }
}
