const titles: Record<number, string> = {
  400: "Bad request",
  401: "Not logged in",
  403: "Not allowed",
  404: "Not found",
  409: "Conflict",
  413: "Too large",
  500: "Something went wrong",
};

export function ErrorPage({ status, message }: { status: number; message: string }) {
  return (
    <section class="error-page">
      <h1>
        {status} {titles[status] ?? "Error"}
      </h1>
      <p class="error-box">{message}</p>
      <p>
        <a href="/">Back to the repositories</a>
      </p>
    </section>
  );
}
