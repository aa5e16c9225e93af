using System.Globalization;
using System.Text.Json;
using PuppeteerSharp;
using PuppeteerSharp.Input;
using Xunit;
using Xunit.Abstractions;

namespace NeuralNet.Samples.DigitServer.Tests;

/// <summary>
/// The page in headless Chromium, used as a person would: mouse strokes on the canvas, the page's own down-sampling to
/// 28 x 28, its request to /api/predict, and the digit and bar chart it shows. Nothing is posted by the test itself.
/// </summary>
[Collection(DigitServerCollection.Name)]
public sealed class BrowserTests(DigitServerFixture server, ChromiumFixture chromium, ITestOutputHelper output) : IClassFixture<ChromiumFixture>
{
    // The page's state, read in one go: the shown digit, every bar, the status line and window.digitServer.
    private const string ReadPage = """
        JSON.stringify({
          prediction: document.getElementById('prediction').textContent,
          status: document.getElementById('status').textContent,
          bars: [...document.querySelectorAll('#chart .bar')].map(b => ({
            digit: Number(b.dataset.digit), probability: Number(b.dataset.probability), top: b.classList.contains('top'),
            height: b.querySelector('.fill').getBoundingClientRect().height })),
          state: window.digitServer })
        """;

    /// <summary>
    /// MNIST test images 0, 1 and 2 (a 7, a 2 and a 1: the 1 is tall and thin, which the page's scaling to 20 x 20 must
    /// keep). The fixture's seeded model classifies all three correctly, from the original pixels and from the page's.
    /// </summary>
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public async Task DrawnMnistDigit_PageShowsTheModelsPredictionForWhatItSent(int index)
    {
        float[] image = server.TestImage(index);
        int label = server.TestSet.Labels[index];
        await using IPage page = await chromium.Browser.NewPageAsync();
        await page.SetViewportAsync(new ViewPortOptions { Width = 900, Height = 700 });
        var posted = new List<string>();
        var problems = new List<string>();
        page.Request += (_, e) =>
        {
            if (e.Request.Method == HttpMethod.Post && e.Request.Url.EndsWith("/api/predict", StringComparison.Ordinal))
            {
                lock (posted)
                {
                    posted.Add(e.Request.PostData?.ToString() ?? "");
                }
            }
        };
        page.Console += (_, e) =>
        {
            if (e.Message.Type is ConsoleType.Error or ConsoleType.Warning)
            {
                lock (problems)
                {
                    problems.Add($"console {e.Message.Type}: {e.Message.Text}");
                }
            }
        };
        page.PageError += (_, e) =>
        {
            lock (problems)
            {
                problems.Add($"page error: {e.Message}");
            }
        };

        await page.GoToAsync(server.BaseAddress.ToString(), WaitUntilNavigation.Load);
        try
        {
            using (JsonDocument before = JsonDocument.Parse(await page.EvaluateExpressionAsync<string>(ReadPage)))
            {
                Assert.Equal("\u2013", before.RootElement.GetProperty("prediction").GetString());
                Assert.Equal(10, before.RootElement.GetProperty("bars").GetArrayLength());
            }

            await DrawAsync(page, image);
            await page.WaitForFunctionAsync(
                "() => window.digitServer.sent > 0 && window.digitServer.shown === window.digitServer.sent",
                new WaitForFunctionOptions { Timeout = 15_000 });

            using JsonDocument after = JsonDocument.Parse(await page.EvaluateExpressionAsync<string>(ReadPage));
            JsonElement root = after.RootElement;
            JsonElement state = root.GetProperty("state");
            Assert.Equal(JsonValueKind.Null, state.GetProperty("error").ValueKind);

            // What the page sent last (captured from the network, not from the page's script) is what it shows. The
            // request events come on the DevTools connection, so give them a moment to catch up with the page.
            int sentCount = state.GetProperty("sent").GetInt32();
            for (int wait = 0; wait < 50 && Count(posted) < sentCount; wait++)
            {
                await Task.Delay(100);
            }

            string lastBody;
            lock (posted)
            {
                Assert.Equal(sentCount, posted.Count);
                lastBody = posted[^1];
            }

            float[] sent = ReadPixels(lastBody);
            Assert.Equal(784, sent.Length);
            Assert.Equal(state.GetProperty("lastPixels").EnumerateArray().Select(e => e.GetSingle()), sent);
            AssertMnistLike(sent);

            (int expected, float[] probabilities) = server.PredictLocally(sent);
            int shown = int.Parse(root.GetProperty("prediction").GetString()!, CultureInfo.InvariantCulture);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"test image {index}: label {label}, page {shown} (p = {probabilities[shown]:0.000}), {posted.Count} strokes posted"));
            Assert.Equal(label, shown);
            Assert.Equal(expected, shown);

            JsonElement[] bars = [.. root.GetProperty("bars").EnumerateArray()];
            Assert.Equal(10, bars.Length);
            double tallest = bars.Max(b => b.GetProperty("height").GetDouble());
            for (int digit = 0; digit < 10; digit++)
            {
                JsonElement bar = bars[digit];
                Assert.Equal(digit, bar.GetProperty("digit").GetInt32());
                Assert.Equal(probabilities[digit], bar.GetProperty("probability").GetDouble(), 1e-6);
                Assert.Equal(digit == shown, bar.GetProperty("top").GetBoolean());
                Assert.Equal(digit == shown, bar.GetProperty("height").GetDouble() == tallest);
            }

            Assert.True(tallest > 50, $"the predicted digit's bar is {tallest} px high");
            Assert.StartsWith($"A {label}, with probability", root.GetProperty("status").GetString(), StringComparison.Ordinal);

            // Clear: back to the empty pad and chart, no request.
            await page.ClickAsync("#clear");
            using JsonDocument cleared = JsonDocument.Parse(await page.EvaluateExpressionAsync<string>(ReadPage));
            Assert.Equal("\u2013", cleared.RootElement.GetProperty("prediction").GetString());
            Assert.All(cleared.RootElement.GetProperty("bars").EnumerateArray(), b => Assert.Equal(0, b.GetProperty("probability").GetDouble()));
            Assert.Equal(JsonValueKind.Null, cleared.RootElement.GetProperty("state").GetProperty("lastPixels").ValueKind);
            Assert.Equal(0, await page.EvaluateExpressionAsync<int>(
                "(() => { const c = document.getElementById('pad'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0; for (let i = 0; i < d.length; i += 4) n += d[i] > 0 ? 1 : 0; return n; })()"));
            await Task.Delay(200);
            Assert.Equal(sentCount, Count(posted)); // Clear sent nothing

            lock (problems)
            {
                Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
            }
        }
        catch
        {
            string screenshot = Path.Combine(Path.GetTempPath(), string.Create(CultureInfo.InvariantCulture, $"digitserver-browser-test-{index}.png"));
            await page.ScreenshotAsync(screenshot);
            output.WriteLine($"Screenshot of the page at the failure: {screenshot}");
            throw;
        }
    }

    /// <summary>
    /// Draws <paramref name="image"/> (784 values) on the pad with the mouse: for each row, one stroke along each run of
    /// bright pixels (value 0.5 or more), through the centres of the pad's 28 x 28 cells.
    /// </summary>
    private static async Task DrawAsync(IPage page, float[] image)
    {
        IElementHandle pad = await page.QuerySelectorAsync("#pad");
        BoundingBox box = await pad.BoundingBoxAsync();
        decimal cell = box.Width / 28;
        decimal X(int x) => box.X + ((x + 0.5m) * cell);
        decimal Y(int y) => box.Y + ((y + 0.5m) * cell);
        for (int y = 0; y < 28; y++)
        {
            int x = 0;
            while (x < 28)
            {
                if (image[(y * 28) + x] < 0.5f)
                {
                    x++;
                    continue;
                }

                int start = x;
                while (x < 28 && image[(y * 28) + x] >= 0.5f)
                {
                    x++;
                }

                await page.Mouse.MoveAsync(X(start), Y(y));
                await page.Mouse.DownAsync();
                await page.Mouse.MoveAsync(X(x - 1), Y(y), new MoveOptions { Steps = Math.Max(1, x - 1 - start) });
                await page.Mouse.UpAsync();
            }
        }
    }

    private static int Count(List<string> list)
    {
        lock (list)
        {
            return list.Count;
        }
    }

    private static float[] ReadPixels(string body)
    {
        using JsonDocument json = JsonDocument.Parse(body);
        return [.. json.RootElement.GetProperty("pixels").EnumerateArray().Select(e => e.GetSingle())];
    }

    /// <summary>Values in [0, 1], the ink's bounding box 20 pixels on its longer side, its centre of mass within a pixel of the middle.</summary>
    private static void AssertMnistLike(float[] pixels)
    {
        Assert.All(pixels, v => Assert.InRange(v, 0f, 1f));
        double mass = 0;
        double cx = 0;
        double cy = 0;
        int left = 28, right = -1, top = 28, bottom = -1;
        for (int y = 0; y < 28; y++)
        {
            for (int x = 0; x < 28; x++)
            {
                float v = pixels[(y * 28) + x];
                if (v > 0)
                {
                    (left, right, top, bottom) = (Math.Min(left, x), Math.Max(right, x), Math.Min(top, y), Math.Max(bottom, y));
                }

                mass += v;
                cx += v * (x + 0.5);
                cy += v * (y + 0.5);
            }
        }

        Assert.True(mass > 20, $"the image has little ink ({mass:0.0})");
        Assert.InRange(cx / mass, 13.0, 15.0);
        Assert.InRange(cy / mass, 13.0, 15.0);
        Assert.InRange(Math.Max(right - left + 1, bottom - top + 1), 19, 20); // scaled to fit 20 x 20, as MNIST
    }
}
