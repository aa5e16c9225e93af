using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Samples.DigitServer.Tests;

/// <summary>POST /api/predict and the static page, over HTTP to the real Kestrel server of the fixture.</summary>
[Collection(DigitServerCollection.Name)]
public sealed class PredictEndpointTests(DigitServerFixture server)
{
    private static readonly Uri s_predict = new("api/predict", UriKind.Relative);

    [Fact]
    public async Task Predict_MnistTestImages_ReturnsTheModelsDigitAndProbabilities()
    {
        for (int i = 0; i < 20; i++)
        {
            float[] pixels = server.TestImage(i);
            (int digit, float[] expected) = server.PredictLocally(pixels);

            using HttpResponseMessage response = await server.Http.PostAsJsonAsync(s_predict, new { pixels });

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal(digit, json.RootElement.GetProperty("digit").GetInt32());
            float[] probabilities = [.. json.RootElement.GetProperty("probabilities").EnumerateArray().Select(e => e.GetSingle())];
            Assert.Equal(expected, probabilities); // the served copy, loaded from the file, gives the same bits
        }
    }

    public static TheoryData<string, string> BadBodies()
    {
        string Pixels(params string[] last) =>
            "{\"pixels\":[" + string.Join(",", Enumerable.Repeat("0", 784 - last.Length).Concat(last)) + "]}";

        return new TheoryData<string, string>
        {
            { "{\"pixels\":[0,0,0,0,0,0,0,0,0,0]}", "expected 784 pixels but got 10" },
            { "{\"pixels\":[]}", "expected 784 pixels but got 0" },
            { "{\"pixels\":[" + string.Join(",", Enumerable.Repeat("0", 785)) + "]}", "expected 784 pixels but got 785" },
            { Pixels("\"a\""), "pixel 783 is the string \"a\"; expected a number in [0, 1]" },
            { Pixels("null", "0"), "pixel 782 is null; expected a number in [0, 1] (JSON has no NaN or infinity)" },
            { Pixels("true"), "pixel 783 is the boolean true" },
            { Pixels("[1]"), "pixel 783 is an array" },
            { Pixels("1e999"), "pixel 783 is 1e999, which is not a finite number" },
            { Pixels("-1e999"), "pixel 783 is -1e999, which is not a finite number" },
            { Pixels("NaN"), "malformed JSON" },
            { Pixels("Infinity"), "malformed JSON" },
            { Pixels("255"), "pixel 783 is 255; expected a number in [0, 1]" },
            { Pixels("-0.25"), "pixel 783 is -0.25; expected a number in [0, 1]" },
            { "{\"pixels\":[0,0", "malformed JSON" },
            { "not json", "malformed JSON" },
            { "{\"pixels\":[1,],}", "malformed JSON" },
            { "", "the request body is empty" },
            { "{}", "missing field \"pixels\"" },
            { "{\"Pixels\":[0]}", "missing field \"pixels\"" },
            { "{\"pixels\":\"abc\"}", "\"pixels\" is the string \"abc\"; expected an array of 784 numbers" },
            { "{\"pixels\":{\"0\":1}}", "\"pixels\" is an object; expected an array of 784 numbers" },
            { "[0,1,2]", "the body is an array; expected {\"pixels\":[784 numbers in [0, 1]]}" },
            { "42", "the body is the number 42" },
            { "null", "the body is null" },
            { "{\"pixels\":[[[[[[[[[[0]]]]]]]]]]}", "malformed JSON" }, // deeper than the parser's limit
        };
    }

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Predict_BadBody_Answers400WithAMessageAndKeepsServing(string body, string message)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await server.Http.PostAsync(s_predict, content);
        string text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using JsonDocument json = JsonDocument.Parse(text);
        string error = json.RootElement.GetProperty("error").GetString()!;
        Assert.Contains(message, error, StringComparison.Ordinal);

        await AssertStillServingAsync();
    }

    public static TheoryData<byte[], string> InvalidUtf8Bodies() => new()
    {
        { [0xFF], "the request body is not valid UTF-8 (byte 0xFF at offset 0)" },
        { [.. Encoding.UTF8.GetBytes("{\"pixels\":\""), 0xFF, .. Encoding.UTF8.GetBytes("\"}")], "the request body is not valid UTF-8 (byte 0xFF at offset 11)" },
        { [.. Encoding.UTF8.GetBytes("{\"pixels\":[0,\""), 0xC3, .. Encoding.UTF8.GetBytes("\"]}")], "the request body is not valid UTF-8 (byte 0xC3 at offset 14)" },
        { [.. Encoding.UTF8.GetBytes("{\"pixels\":[\""), 0xE2, 0x82], "the request body is not valid UTF-8 (byte 0xE2 at offset 12)" }, // cut short
    };

    [Theory]
    [MemberData(nameof(InvalidUtf8Bodies))]
    public async Task Predict_BodyThatIsNotUtf8_Answers400WithAMessageAndKeepsServing(byte[] body, string message)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        using HttpResponseMessage response = await server.Http.PostAsync(s_predict, content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith(message, await ErrorAsync(response), StringComparison.Ordinal);
        await AssertStillServingAsync();
    }

    public static TheoryData<string?, string> WrongContentTypes() => new()
    {
        { null, "the request has no Content-Type; send the body as JSON with Content-Type: application/json" },
        { "text/plain", "the request's Content-Type is text/plain; send the body as JSON with Content-Type: application/json" },
        { "application/x-www-form-urlencoded", "the request's Content-Type is application/x-www-form-urlencoded; send" },
        { "application/json; charset=utf-16", "the request's Content-Type has charset=utf-16; JSON must be UTF-8" },
        { "application/jsonp", "the request's Content-Type is application/jsonp;" },
    };

    [Theory]
    [MemberData(nameof(WrongContentTypes))]
    public async Task Predict_ContentTypeOtherThanJson_Answers415WithAMessage(string? contentType, string message)
    {
        byte[] body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { pixels = server.TestImage(0) }));
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = contentType is null ? null : MediaTypeHeaderValue.Parse(contentType);

        using HttpResponseMessage response = await server.Http.PostAsync(s_predict, content);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith(message, await ErrorAsync(response), StringComparison.Ordinal);
        await AssertStillServingAsync();
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("Application/JSON; charset=\"UTF-8\"")]
    public async Task Predict_JsonContentTypes_AreAccepted(string contentType)
    {
        byte[] body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { pixels = server.TestImage(0) }));
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);

        using HttpResponseMessage response = await server.Http.PostAsync(s_predict, content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Predict_MalformedChunkedBody_Answers400WithTheJsonErrorShape()
    {
        // Written by hand: HttpClient always frames its chunks correctly.
        string answer = await RawExchangeAsync(
            "POST /api/predict HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 400 ", answer, StringComparison.Ordinal);
        Assert.Contains("Content-Type: application/json", answer, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("{\"error\":\"the request body could not be read: Bad chunk size data.\"}", answer, StringComparison.Ordinal);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task Predict_BodyThatStopsArriving_Answers408WithTheJsonErrorShape()
    {
        // 5 of the 1000 bytes announced, then nothing: Kestrel's minimum data rate (240 bytes/s) gives up after its
        // 5 s grace period.
        string answer = await RawExchangeAsync(
            "POST /api/predict HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"pix");

        Assert.StartsWith("HTTP/1.1 408 ", answer, StringComparison.Ordinal);
        Assert.Contains("Content-Type: application/json", answer, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("{\"error\":\"the request body could not be read: Reading the request body timed out", answer, StringComparison.Ordinal);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task Predict_BodyOverTheLimitWithContentLength_Answers400WithoutReadingIt()
    {
        byte[] body = Encoding.UTF8.GetBytes("{\"pixels\":[" + string.Join(",", Enumerable.Repeat("0.123456789", 784 * 8)) + "]}");
        Assert.True(body.Length > PredictEndpoint.MaxBodyBytes);
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        using HttpResponseMessage response = await server.Http.PostAsync(s_predict, content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        string error = await ErrorAsync(response);
        Assert.Equal(string.Create(CultureInfo.InvariantCulture, $"the request body is {body.Length} bytes; the limit is 65536 bytes"), error);
        Assert.True(response.Headers.ConnectionClose); // the unread body ends the connection; the client must not reuse it
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task Predict_ChunkedBodyOverTheLimit_Answers400()
    {
        // No Content-Length: the body arrives in chunks and the server stops reading at the limit.
        byte[] body = Encoding.UTF8.GetBytes("{\"pixels\":[" + string.Join(",", Enumerable.Repeat("0.5", 784 * 30)) + "]}");
        Assert.True(body.Length > PredictEndpoint.MaxBodyBytes);
        using var stream = new MemoryStream(body);
        using var content = new StreamContent(new UnknownLengthStream(stream));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        using HttpResponseMessage response = await server.Http.PostAsync(s_predict, content);

        Assert.Null(response.RequestMessage?.Content?.Headers.ContentLength);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("the request body is larger than the limit of 65536 bytes", await ErrorAsync(response));
        Assert.True(response.Headers.ConnectionClose);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task Predict_ManyConcurrentRequests_EachGetsTheAnswerForItsOwnImage()
    {
        // 64 requests at once, each with another test image, all on the one loaded model.
        int[] indices = [.. Enumerable.Range(100, 64)];
        Task<(int Index, int Digit, float[] Probabilities)>[] requests = [.. indices.Select(async index =>
        {
            using HttpResponseMessage response = await server.Http.PostAsJsonAsync(s_predict, new { pixels = server.TestImage(index) });
            response.EnsureSuccessStatusCode();
            using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            return (index, json.RootElement.GetProperty("digit").GetInt32(),
                json.RootElement.GetProperty("probabilities").EnumerateArray().Select(e => e.GetSingle()).ToArray());
        })];

        foreach ((int index, int digit, float[] probabilities) in await Task.WhenAll(requests))
        {
            (int expectedDigit, float[] expected) = server.PredictLocally(server.TestImage(index));
            Assert.Equal(expectedDigit, digit);
            Assert.Equal(expected, probabilities);
        }
    }

    [Fact]
    public async Task Page_IsServedWithItsOwnScriptAndStyleOnly()
    {
        using HttpResponseMessage page = await server.Http.GetAsync(new Uri("/", UriKind.Relative));
        string html = await page.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<canvas id=\"pad\"", html, StringComparison.Ordinal);
        Assert.Contains("id=\"prediction\"", html, StringComparison.Ordinal);
        Assert.Contains("id=\"clear\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("http", html, StringComparison.OrdinalIgnoreCase); // no CDN, no external resource
        Assert.Contains("default-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);

        foreach ((string file, string type) in new[] { ("digits.js", "text/javascript"), ("digits.css", "text/css") })
        {
            using HttpResponseMessage response = await server.Http.GetAsync(new Uri(file, UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(type, response.Content.Headers.ContentType?.MediaType);
        }

        using HttpResponseMessage missing = await server.Http.GetAsync(new Uri("nothing.js", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public void DigitClassifier_ModelOfAnotherShape_ThrowsNamingBothShapes()
    {
        var model = new Sequential(seed: 1);
        model.Add(new InputLayer(100));
        model.Add(new Dense(10, ActivationFunction.Softmax));

        var e = Assert.Throws<ArgumentException>(() => new DigitClassifier(model, "tiny.safetensors"));

        Assert.StartsWith("DigitServer serves models that take 784 pixels (28 x 28) and give 10 probabilities; tiny.safetensors takes (None, 100) and gives (None, 10).", e.Message, StringComparison.Ordinal);
    }

    private async Task AssertStillServingAsync()
    {
        using HttpResponseMessage response = await server.Http.PostAsJsonAsync(s_predict, new { pixels = server.TestImage(0) });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    // Sends a request written by hand and reads the answer until the server closes the connection.
    private async Task<string> RawExchangeAsync(string request)
    {
        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(server.BaseAddress.Host, server.BaseAddress.Port);
        using System.Net.Sockets.NetworkStream stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
    }

    private static async Task<string> ErrorAsync(HttpResponseMessage response)
    {
        using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("error").GetString()!;
    }

    /// <summary>A stream that does not tell its length, so HttpClient sends it chunked.</summary>
    private sealed class UnknownLengthStream(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
