using Microsoft.AspNetCore.Builder;
using NeuralNet.Datasets;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Samples.DigitServer.Tests;

/// <summary>
/// One server for the whole collection: a 784-128-10 MLP trained for one epoch on MNIST (seeded), saved to a temporary
/// file and served by <see cref="DigitServerApp"/> from that file (<c>--model</c>) on a free localhost port.
/// </summary>
public sealed class DigitServerFixture : IAsyncLifetime
{
    private WebApplication? _app;
    private string? _directory;

    /// <summary>The model as trained, before saving: what the server's copy must agree with.</summary>
    public Sequential Model { get; private set; } = null!;

    /// <summary>The MNIST test set (10,000 images (n, 784) in [0, 1]).</summary>
    public LabeledDataset TestSet { get; private set; } = null!;

    /// <summary>The server's address, for example http://127.0.0.1:41234/.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>A client for <see cref="BaseAddress"/>.</summary>
    public HttpClient Http { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        MnistData mnist = Mnist.Load();
        TestSet = mnist.Test;
        Model = DigitModel.Train(mnist.Train, hiddenUnits: 128, epochs: 1, seed: 42);
        _directory = Directory.CreateTempSubdirectory("digitserver-tests-").FullName;
        string path = Path.Combine(_directory, "mnist-784-128-10.safetensors");
        Model.Save(path);

        _app = DigitServerApp.Build(
            ["--model", path, "--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default", "Warning"], TextWriter.Null);
        await _app.StartAsync();
        BaseAddress = new Uri(_app.Urls.Single().TrimEnd('/') + "/");
        Http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        if (_directory is not null)
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    /// <summary>Test image <paramref name="index"/> as 784 values.</summary>
    public float[] TestImage(int index) => TestSet.Features.AsReadOnlySpan().Slice(index * 784, 784).ToArray();

    /// <summary>The trained model's digit and probabilities for one image, computed here (not through the server).</summary>
    public (int Digit, float[] Probabilities) PredictLocally(float[] pixels)
    {
        float[] p = Model.Predict(Tensor.FromArray(pixels, 1, 784)).ToArray();
        int digit = Array.IndexOf(p, p.Max());
        return (digit, p);
    }
}
