using System.Net;
using System.Text;
using System.Text.Json;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.Sentry;

/// <summary>
/// <c>/api/{id}/envelope/</c> and <c>/api/{id}/store/</c> over raw HTTP against the real server: each
/// auth form, each compression, both length styles, skipped items, and what each bad request gets.
/// The server is shared by the class; every test works in projects of its own.
/// </summary>
public sealed class SentryEndpointTests(KestrelServerFixture fixture) : IClassFixture<KestrelServerFixture>
{
    private const string EventId = "9ec79c33ec9942ab8353589fcb2e04dc";
    private static string ErrorEvent(string value = "Order 42 has no items") =>
        JsonSerializer.Serialize(new { exception = new { values = new[] { new { type = "TypeError", value } } }, platform = "node" });

    private Task<TestProject> NewProjectAsync() => fixture.Kestrel.CreateProjectAsync("sentry-" + Guid.NewGuid().ToString("N")[..8]);

    private static async Task AssertAcceptedAsync(HttpResponseMessage response, string expectedId = EventId)
    {
        var body = await response.ReadBodyAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {body}");
        Assert.Equal(expectedId, JsonDocument.Parse(body).RootElement.GetProperty("id").GetString());
        Assert.Equal("*", response.Header("Access-Control-Allow-Origin"));
    }

    /// <summary>A refusal as SDKs expect it: status, JSON error, X-Sentry-Error, CORS; and nothing stored.</summary>
    private static async Task AssertRefusedAsync(HttpResponseMessage response, HttpStatusCode status, string sentence, TestProject project)
    {
        var body = await response.ReadBodyAsync();
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode} {body}");
        Assert.Contains(sentence, JsonDocument.Parse(body).RootElement.GetProperty("error").GetString());
        Assert.Contains(sentence[..Math.Min(sentence.Length, 20)], response.Header("X-Sentry-Error"));
        Assert.Equal("*", response.Header("Access-Control-Allow-Origin"));
        Assert.Contains("x-sentry-rate-limits", response.Header("Access-Control-Expose-Headers"));
        Assert.Empty(await project.IssuesAsync());
    }

    [Theory]
    [InlineData("x-sentry-auth")]
    [InlineData("authorization-sentry")]
    [InlineData("authorization-basic")]
    [InlineData("query")]
    [InlineData("envelope-dsn")]
    public async Task Each_auth_form_is_accepted(string form)
    {
        var project = await NewProjectAsync();
        var envelope = SentryEnvelopes.Envelope(ErrorEvent(), EventId, dsn: form == "envelope-dsn" ? project.Dsn() : null);
        using var request = project.EnvelopeRequest(Encoding.UTF8.GetBytes(envelope));
        switch (form)
        {
            case "x-sentry-auth": request.WithSentryAuth(project.PublicKey); break;
            case "authorization-sentry": request.Headers.TryAddWithoutValidation("Authorization", $"Sentry sentry_key={project.PublicKey}, sentry_version=7"); break;
            case "authorization-basic": request.Headers.TryAddWithoutValidation("Authorization", "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(project.PublicKey + ":"))); break;
            case "query": request.RequestUri = new Uri($"/api/{project.Id}/envelope/?sentry_version=7&sentry_key={project.PublicKey}&sentry_client=sentry.javascript.node%2F11.12.0", UriKind.Relative); break;
        }
        using var response = await fixture.Kestrel.Http.SendAsync(request);
        await AssertAcceptedAsync(response);
        var issue = Assert.Single(await project.IssuesAsync());
        Assert.Equal("TypeError: Order 42 has no items", issue.GetProperty("title").GetString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("UTF-8")] // old sentry-java and sentry-ruby: means "not compressed"
    [InlineData("gzip")]
    [InlineData("x-gzip")]
    [InlineData("deflate")]
    [InlineData("br")]
    [InlineData("zstd")]
    public async Task Each_content_encoding_is_accepted(string encoding)
    {
        var project = await NewProjectAsync();
        var body = Encoding.UTF8.GetBytes(SentryEnvelopes.Envelope(ErrorEvent(), EventId));
        if (encoding is not ("" or "UTF-8")) body = SentryEnvelopes.Compress(body, encoding);
        using var request = project.EnvelopeRequest(body).WithSentryAuth(project.PublicKey);
        if (encoding.Length > 0) request.SetEncoding(encoding);
        using var response = await fixture.Kestrel.Http.SendAsync(request);
        await AssertAcceptedAsync(response);
        Assert.Single(await project.IssuesAsync());
    }

    [Fact]
    public async Task A_chunked_body_without_lengths_like_nodes_is_accepted()
    {
        var project = await NewProjectAsync();
        var envelope = SentryEnvelopes.Envelope(ErrorEvent(), EventId, withLength: false).TrimEnd('\n');
        using var request = project.EnvelopeRequest([]).WithSentryAuth(project.PublicKey);
        request.Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(envelope)));
        request.Headers.TransferEncodingChunked = true;
        using var response = await fixture.Kestrel.Http.SendAsync(request);
        await AssertAcceptedAsync(response);
    }

    [Fact]
    public async Task Items_other_than_events_are_parsed_past_and_an_envelope_of_them_alone_gets_an_empty_answer()
    {
        var project = await NewProjectAsync();
        const string others = "{\"type\":\"attachment\",\"length\":4,\"filename\":\"a.bin\"}\n\u0001\n\u0002\n\n"
            + "{\"type\":\"session\"}\n{\"sid\":\"x\",\"status\":\"ok\"}\n"
            + "{\"type\":\"transaction\"}\n{\"type\":\"transaction\",\"spans\":[]}\n"
            + "{\"type\":\"client_report\"}\n{\"discarded_events\":[]}\n"
            + "{\"type\":\"kestrel_does_not_know_this\",\"length\":3}\n{}}\n";
        using (var response = await project.PostEnvelopeAsync(SentryEnvelopes.Envelope(ErrorEvent(), EventId, extraItems: others)))
            await AssertAcceptedAsync(response);
        Assert.Equal(1, Assert.Single(await project.IssuesAsync()).GetProperty("eventCount").GetInt64());

        using var onlyOthers = await project.PostEnvelopeAsync("{}\n" + others);
        Assert.Equal(HttpStatusCode.OK, onlyOthers.StatusCode);
        Assert.Equal("{}", await onlyOthers.ReadBodyAsync());
    }

    [Fact]
    public async Task The_envelope_headers_event_id_wins_and_a_resend_is_stored_once()
    {
        var project = await NewProjectAsync();
        var withOwnId = JsonSerializer.Serialize(new { event_id = "00000000000000000000000000000001", message = "hello" });
        for (var i = 0; i < 2; i++)
        {
            using var response = await project.PostEnvelopeAsync(SentryEnvelopes.Envelope(withOwnId, EventId));
            await AssertAcceptedAsync(response);
        }
        var issue = Assert.Single(await project.IssuesAsync());
        Assert.Equal(1, issue.GetProperty("eventCount").GetInt64());
        var stored = (await project.GetJsonAsync($"/api/issues/{issue.GetProperty("id").GetInt64()}/events")).GetProperty("events")[0];
        Assert.Equal(EventId, stored.GetProperty("id").GetString());
    }

    [Fact]
    public async Task The_store_endpoint_takes_one_json_event()
    {
        var project = await NewProjectAsync();
        var json = JsonSerializer.Serialize(new { event_id = EventId, message = "legacy client says hi" });
        using var request = project.EnvelopeRequest(Encoding.UTF8.GetBytes(json), "store").WithSentryAuth(project.PublicKey);
        using var response = await fixture.Kestrel.Http.SendAsync(request);
        await AssertAcceptedAsync(response);
        Assert.Equal("legacy client says hi", Assert.Single(await project.IssuesAsync()).GetProperty("title").GetString());

        using var unauthenticated = project.EnvelopeRequest(Encoding.UTF8.GetBytes(json), "store");
        using var refused = await fixture.Kestrel.Http.SendAsync(unauthenticated);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Theory]
    [InlineData("envelope")]
    [InlineData("store")]
    public async Task A_preflight_allows_any_origin_and_the_sentry_headers(string endpoint)
    {
        var project = await NewProjectAsync();
        using var request = new HttpRequestMessage(HttpMethod.Options, $"/api/{project.Id}/{endpoint}/");
        request.Headers.Add("Origin", "https://shop.example");
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "content-type, x-sentry-auth");
        using var response = await fixture.Kestrel.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("*", response.Header("Access-Control-Allow-Origin"));
        Assert.Contains("POST", response.Header("Access-Control-Allow-Methods"));
        Assert.Contains("x-sentry-auth", response.Header("Access-Control-Allow-Headers"));
        Assert.Contains("content-encoding", response.Header("Access-Control-Allow-Headers"));
        Assert.Contains("retry-after", response.Header("Access-Control-Expose-Headers"));
    }

    [Fact]
    public async Task User_reports_and_feedback_are_kept_with_their_event()
    {
        var project = await NewProjectAsync();
        var report = JsonSerializer.Serialize(new { event_id = EventId, name = "Ada", email = "ada@example.com", comments = "It broke <b>again</b>" });
        var feedback = JsonSerializer.Serialize(new { contexts = new { feedback = new { message = "Second note", contact_email = "bob@example.com", name = "Bob", url = "https://shop.example/cart", associated_event_id = EventId } } });
        using (var response = await project.PostEnvelopeAsync(SentryEnvelopes.Envelope(ErrorEvent(), EventId)
            + $"{{\"type\":\"user_report\"}}\n{report}\n"))
            await AssertAcceptedAsync(response);
        using (var response = await project.PostEnvelopeAsync($"{{}}\n{{\"type\":\"feedback\"}}\n{feedback}\n"))
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // About an event this project does not have: dropped, not an error.
        var stray = report.Replace(EventId, "ffffffffffffffffffffffffffffffff");
        using (var response = await project.PostEnvelopeAsync($"{{}}\n{{\"type\":\"user_report\"}}\n{stray}\n"))
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var issue = Assert.Single(await project.IssuesAsync());
        var stored = (await project.GetJsonAsync($"/api/issues/{issue.GetProperty("id").GetInt64()}/events")).GetProperty("events")[0];
        var notes = stored.GetProperty("feedback").EnumerateArray().ToList();
        Assert.Equal(2, notes.Count);
        Assert.Equal(("Ada", "ada@example.com", "It broke <b>again</b>"),
            (notes[0].GetProperty("name").GetString(), notes[0].GetProperty("email").GetString(), notes[0].GetProperty("comments").GetString()));
        Assert.Equal(("Bob", "https://shop.example/cart"), (notes[1].GetProperty("name").GetString(), notes[1].GetProperty("url").GetString()));
    }

    [Fact]
    public async Task Missing_malformed_or_wrong_credentials_are_refused()
    {
        var project = await NewProjectAsync();
        var other = await NewProjectAsync();
        var body = Encoding.UTF8.GetBytes(SentryEnvelopes.Envelope(ErrorEvent(), EventId));

        using (var response = await fixture.Kestrel.Http.SendAsync(project.EnvelopeRequest(body)))
            await AssertRefusedAsync(response, HttpStatusCode.Unauthorized, "Send the project's public key", project);
        using (var response = await fixture.Kestrel.Http.SendAsync(project.EnvelopeRequest(body).WithSentryAuth("not-a-key")))
            await AssertRefusedAsync(response, HttpStatusCode.Unauthorized, "must be the 32 hex characters", project);
        using (var response = await fixture.Kestrel.Http.SendAsync(project.EnvelopeRequest(body).WithSentryAuth("ffffffffffffffffffffffffffffffff")))
            await AssertRefusedAsync(response, HttpStatusCode.Forbidden, $"does not belong to project {project.Id}", project);
        // Another project's key on this project's URL, and this project's key on another's URL.
        using (var response = await fixture.Kestrel.Http.SendAsync(project.EnvelopeRequest(body).WithSentryAuth(other.PublicKey)))
            await AssertRefusedAsync(response, HttpStatusCode.Forbidden, $"does not belong to project {project.Id}", project);
        using (var response = await fixture.Kestrel.Http.SendAsync(project.EnvelopeRequest(body, projectId: other.Id).WithSentryAuth(project.PublicKey)))
            await AssertRefusedAsync(response, HttpStatusCode.Forbidden, $"does not belong to project {other.Id}", other);
        using (var response = await fixture.Kestrel.Http.SendAsync(project.EnvelopeRequest(body, projectId: 999_999).WithSentryAuth(project.PublicKey)))
            await AssertRefusedAsync(response, HttpStatusCode.Forbidden, "does not belong to project 999999", project);
        using (var request = project.EnvelopeRequest(body).WithSentryAuth(project.PublicKey))
        {
            request.RequestUri = new Uri($"/api/{project.Id}/envelope/?sentry_key={other.PublicKey}", UriKind.Relative);
            using var response = await fixture.Kestrel.Http.SendAsync(request);
            await AssertRefusedAsync(response, HttpStatusCode.Unauthorized, "more than one public key", project);
        }
    }

    [Fact]
    public async Task An_envelope_dsn_must_agree_with_the_url_and_the_request()
    {
        var project = await NewProjectAsync();
        var other = await NewProjectAsync();
        var otherDsn = SentryEnvelopes.Envelope(ErrorEvent(), EventId, dsn: other.Dsn());
        using (var response = await fixture.Kestrel.Http.SendAsync(project.EnvelopeRequest(Encoding.UTF8.GetBytes(otherDsn))))
            await AssertRefusedAsync(response, HttpStatusCode.Forbidden, $"dsn is for project {other.Id}", project);
        var ownDsn = SentryEnvelopes.Envelope(ErrorEvent(), EventId, dsn: project.Dsn().Replace(project.PublicKey, other.PublicKey));
        using (var response = await fixture.Kestrel.Http.SendAsync(project.EnvelopeRequest(Encoding.UTF8.GetBytes(ownDsn)).WithSentryAuth(project.PublicKey)))
            await AssertRefusedAsync(response, HttpStatusCode.Unauthorized, "another public key", project);
        var badDsn = SentryEnvelopes.Envelope(ErrorEvent(), EventId, dsn: "nonsense");
        using (var response = await fixture.Kestrel.Http.SendAsync(project.EnvelopeRequest(Encoding.UTF8.GetBytes(badDsn))))
            await AssertRefusedAsync(response, HttpStatusCode.Unauthorized, "not a valid DSN", project);
    }

    [Fact]
    public async Task Malformed_bodies_are_refused_and_nothing_is_stored()
    {
        var project = await NewProjectAsync();
        using (var response = await project.PostEnvelopeAsync("{}\n{\"type\":\"event\",\"length\":500}\n{}"))
            await AssertRefusedAsync(response, HttpStatusCode.BadRequest, "says it is 500 bytes long", project);
        using (var response = await project.PostEnvelopeAsync("{}\n{\"type\":\"event\"}\n{\"message\": nope}"))
            await AssertRefusedAsync(response, HttpStatusCode.BadRequest, "The event item is not valid JSON", project);
        using (var response = await project.PostEnvelopeAsync("{}\n{\"type\":\"event\"}\n[1,2]"))
            await AssertRefusedAsync(response, HttpStatusCode.BadRequest, "The event item is not a JSON object", project);
        // A good event and a bad one in one envelope: all or nothing.
        using (var response = await project.PostEnvelopeAsync(SentryEnvelopes.Envelope(ErrorEvent(), EventId) + "{\"type\":\"event\"}\n{\"a\":\n"))
            await AssertRefusedAsync(response, HttpStatusCode.BadRequest, "The event item is not valid JSON", project);
        foreach (var encoding in new[] { "gzip", "deflate", "br", "zstd" })
        {
            using var request = project.EnvelopeRequest(Encoding.UTF8.GetBytes("this is not compressed at all, not even slightly")).WithSentryAuth(project.PublicKey);
            request.SetEncoding(encoding);
            using var response = await fixture.Kestrel.Http.SendAsync(request);
            await AssertRefusedAsync(response, HttpStatusCode.BadRequest, $"not valid {encoding} data", project);
        }
        // Cut off halfway: either the decompressor or the envelope parser notices; never a 500.
        foreach (var encoding in new[] { "gzip", "deflate", "br", "zstd" })
        {
            var whole = SentryEnvelopes.Compress(Encoding.UTF8.GetBytes(SentryEnvelopes.Envelope(ErrorEvent(new string('v', 2000)), EventId)), encoding);
            using var request = project.EnvelopeRequest(whole[..(whole.Length / 2)]).WithSentryAuth(project.PublicKey);
            request.SetEncoding(encoding);
            using var response = await fixture.Kestrel.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Empty(await project.IssuesAsync());
        }
        using (var request = project.EnvelopeRequest([1, 2, 3]).WithSentryAuth(project.PublicKey))
        {
            request.SetEncoding("lz4");
            using var response = await fixture.Kestrel.Http.SendAsync(request);
            await AssertRefusedAsync(response, HttpStatusCode.BadRequest, "Content-Encoding 'lz4' is not supported", project);
        }
        using (var response = await fixture.Kestrel.Http.SendAsync(project.EnvelopeRequest([1, 2], projectId: null).WithSentryAuth(project.PublicKey)))
            await AssertRefusedAsync(response, HttpStatusCode.BadRequest, "header (its first line) is not a JSON object", project);
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/api/not-a-number/envelope/") { Content = new ByteArrayContent([]) })
        {
            using var response = await fixture.Kestrel.Http.SendAsync(request.WithSentryAuth(project.PublicKey));
            await AssertRefusedAsync(response, HttpStatusCode.BadRequest, "The project id in the URL must be a number", project);
        }
    }

    [Fact]
    public async Task Oversize_items_and_bodies_get_413()
    {
        var project = await NewProjectAsync();
        var big = JsonSerializer.Serialize(new { message = "big", extra = new { blob = new string('x', 1024 * 1024) } });
        using (var response = await project.PostEnvelopeAsync(SentryEnvelopes.Envelope(big, EventId)))
            await AssertRefusedAsync(response, HttpStatusCode.RequestEntityTooLarge, "The event item is larger than 1 MiB", project);

        // 21 MiB of zeros inflates from a few KB of zstd: stopped at 20 MiB while decompressing.
        var bomb = SentryEnvelopes.Compress(new byte[21 * 1024 * 1024], "zstd");
        Assert.True(bomb.Length < 64 * 1024);
        using var request = project.EnvelopeRequest(bomb).WithSentryAuth(project.PublicKey);
        request.SetEncoding("zstd");
        using (var response = await fixture.Kestrel.Http.SendAsync(request))
            await AssertRefusedAsync(response, HttpStatusCode.RequestEntityTooLarge, "larger than 20 MiB after decompression", project);
    }
}
