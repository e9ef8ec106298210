using System.Diagnostics;
using System.Text.Json;
using Microsoft.Playwright;
using SnnServe.TestSupport;

namespace SnnServe.Api.Tests;

/// <summary>
/// Drives the demo page in headless Chromium (Debian's <c>chromium</c>; installed with apt-get on a
/// fresh machine when the tests run as root) against the real server over the bundled models.
/// Screenshots go to artifacts/screenshots.
/// </summary>
public sealed class DemoPageTests(BundledServerFixture server) : IClassFixture<BundledServerFixture>
{
    private static readonly string Screenshots = Path.Combine(BundledData.Root, "artifacts", "screenshots");

    [ChromiumFact]
    public async Task PickDigit_Predicts_DrawsCurveAndRaster_ThenAStrokeGetsANewAnswer()
    {
        await using var session = await BrowserSession.OpenAsync(server.Client.BaseAddress!);
        IPage page = session.Page;
        using JsonDocument digits = JsonDocument.Parse(File.ReadAllText(Path.Combine(BundledData.Root, "src", "Api", "wwwroot", "digits.json")));
        JsonElement hard = digits.RootElement.EnumerateArray().First(d => d.GetProperty("difficulty").GetString() == "hard");

        // A hard test digit: the stream runs past timestep 1, the curve and raster follow it.
        await page.Locator(".digits canvas.hard").First.ClickAsync();
        await page.Locator("#costs:not([hidden])").WaitForAsync();
        string prediction = await page.Locator("#prediction").InnerTextAsync();
        string answer = await page.Locator("#answer").InnerTextAsync();
        Assert.Matches(@"exit at t = \d+", answer);
        int exit = int.Parse(System.Text.RegularExpressions.Regex.Match(answer, @"t = (\d+)").Groups[1].Value);
        Assert.Equal(hard.GetProperty("exit_timestep").GetInt32(), exit);
        Assert.Equal(exit, await page.Locator("#curve circle").CountAsync());
        Assert.Equal(10, await page.Locator("#bars rect").CountAsync());
        Assert.Equal(exit * 5, await page.Locator("#raster rect.cell").CountAsync()); // 5 hidden layers (conv1, pool1, conv2, pool2, dense) × timesteps
        Assert.Equal(1, await page.Locator("#curve line.threshold").CountAsync());
        Assert.Contains("µJ", await page.Locator("#costs").InnerTextAsync());
        Assert.Equal(hard.GetProperty("label").GetInt32().ToString(), prediction);
        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "demo-test-digit.png"), FullPage = true });

        // Clear, draw a vertical stroke (a "1"), get a new answer.
        await page.ClickAsync("#clear");
        Assert.Equal("…", await page.Locator("#answer").InnerTextAsync());
        LocatorBoundingBoxResult box = (await page.Locator("#draw").BoundingBoxAsync())!;
        await page.Mouse.MoveAsync(box.X + 145, box.Y + 40);
        await page.Mouse.DownAsync();
        await page.Mouse.MoveAsync(box.X + 140, box.Y + 240, new() { Steps = 25 });
        await page.Mouse.UpAsync();
        await page.Locator("#costs:not([hidden])").WaitForAsync();
        Assert.Equal("1", await page.Locator("#prediction").InnerTextAsync());
        Assert.True(await page.Locator("#curve circle").CountAsync() >= 1);
        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "demo-drawn-stroke.png"), FullPage = true });
        Assert.Empty(session.Errors);
    }

    [ChromiumFact]
    public async Task ServerUnreachable_AndInvalidInput_ShowClearMessages()
    {
        await using var session = await BrowserSession.OpenAsync(server.Client.BaseAddress!);
        IPage page = session.Page;
        await page.Locator(".digits canvas").First.WaitForAsync();

        // Nothing drawn: the page says so instead of sending an empty image.
        await page.ClickAsync("#run");
        Assert.Contains("Draw a digit", await page.Locator("#status").InnerTextAsync());

        // The server rejects the input (a threshold outside the policy's range): its message is shown.
        await page.EvaluateAsync("() => { const t = document.getElementById('threshold'); t.min = '-5'; t.value = '-3'; }");
        await page.Locator(".digits canvas").First.ClickAsync();
        await page.Locator("#status:not([hidden])").WaitForAsync();
        Assert.Contains("InvalidArgument", await page.Locator("#status").InnerTextAsync());

        // The network fails: "unreachable".
        await page.EvaluateAsync("() => { document.getElementById('threshold').value = '0.85'; }");
        await page.RouteAsync("**/classify/stream", route => route.AbortAsync());
        await page.Locator(".digits canvas").Nth(1).ClickAsync();
        await page.WaitForFunctionAsync("() => document.getElementById('status').textContent.includes('unreachable')");
        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "demo-unreachable.png") });
    }

    [ChromiumFact]
    public async Task ModelListFails_PageAndRunButtonSaySo()
    {
        await using var session = await BrowserSession.OpenAsync(server.Client.BaseAddress!,
            page => page.RouteAsync("**/v1/models/", route => route.FulfillAsync(new() { Status = 503, Body = "" })));
        IPage page = session.Page;
        await page.WaitForFunctionAsync("() => document.getElementById('status').textContent.includes('listing models: HTTP 503')");

        await page.ClickAsync("#run");
        Assert.Contains("The model list has not loaded yet", await page.Locator("#status").InnerTextAsync());
        Assert.Null(await page.Locator("body").GetAttributeAsync("data-ready"));
    }

    private sealed class BrowserSession : IAsyncDisposable
    {
        private IPlaywright _playwright = null!;
        private IBrowser _browser = null!;

        public IPage Page { get; private set; } = null!;
        public List<string> Errors { get; } = [];

        /// <summary>
        /// Opens the page and waits until it has loaded its model list and digits (the controls act
        /// only then: a click before it once found no model selected and did nothing).
        /// <paramref name="beforeLoad"/> runs before navigation (e.g. to route requests); with it the
        /// page is not waited for.
        /// </summary>
        public static async Task<BrowserSession> OpenAsync(Uri address, Func<IPage, Task>? beforeLoad = null)
        {
            Directory.CreateDirectory(Screenshots);
            var session = new BrowserSession { _playwright = await Playwright.CreateAsync() };
            session._browser = await session._playwright.Chromium.LaunchAsync(new() { ExecutablePath = ChromiumFactAttribute.Executable, Headless = true, Args = ["--no-sandbox"] });
            session.Page = await session._browser.NewPageAsync(new() { ViewportSize = new() { Width = 1280, Height = 860 } });
            session.Page.PageError += (_, error) => session.Errors.Add(error);
            if (beforeLoad is not null)
            {
                await beforeLoad(session.Page);
            }

            await session.Page.GotoAsync(address.ToString());
            if (beforeLoad is null)
            {
                await session.Page.Locator("body[data-ready='true']").WaitForAsync();
            }

            return session;
        }

        public async ValueTask DisposeAsync()
        {
            await _browser.DisposeAsync();
            _playwright.Dispose();
        }
    }
}

/// <summary>
/// A fact that needs Chromium: uses /usr/bin/chromium, installs Debian's <c>chromium</c> package when
/// missing and running as root, and otherwise skips with a message saying exactly what is missing.
/// </summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public const string Executable = "/usr/bin/chromium";
    private static readonly Lazy<string?> Missing = new(Ensure);

    public ChromiumFactAttribute()
    {
        if (Missing.Value is { } reason)
        {
            Skip = reason;
        }
    }

    private static string? Ensure()
    {
        if (File.Exists(Executable))
        {
            return null;
        }

        if (Environment.UserName == "root" && File.Exists("/usr/bin/apt-get"))
        {
            foreach (string args in new[] { "install -y -q chromium", "update -q", "install -y -q chromium" })
            {
                using Process apt = Process.Start(new ProcessStartInfo("apt-get", args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
                apt.StandardOutput.ReadToEnd();
                apt.StandardError.ReadToEnd();
                apt.WaitForExit();
                if (File.Exists(Executable))
                {
                    return null;
                }
            }
        }

        return $"SKIPPED LOUDLY: the demo page's browser test needs {Executable} (Debian package 'chromium'); installing it was not possible here (not root or no apt-get). Install it and rerun.";
    }
}
