using System.Net.Http.Json;
using System.Text.Json;

namespace SnnServe.Api.Tests;

internal static class HttpClientExtensions
{
    /// <summary>POSTs <paramref name="body"/> as JSON, asserts success (showing the body otherwise) and returns the JSON answer.</summary>
    public static async Task<JsonElement> PostOkAsync(this HttpClient client, string path, object body)
    {
        HttpResponseMessage response = await client.PostAsJsonAsync(path, body);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
