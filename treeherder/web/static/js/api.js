// Thin client for this server's REST API (the same endpoints Treeherder's own UI and thclient use).

export class ApiError extends Error {
  constructor(status, body, url) {
    const text = typeof body === 'string' ? body : body && (body.detail || body.message) ? body.detail || body.message : JSON.stringify(body);
    super(`HTTP ${status}: ${text}`);
    this.status = status;
    this.body = body;
    this.url = url;
  }
}

/** Build `path?query` from an object; arrays become repeated parameters, null/undefined/'' are left out. */
export function withQuery(path, params = {}) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) value.forEach((item) => query.append(key, item));
    else query.append(key, value);
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

/** GET a JSON document; throws ApiError on a non-2xx answer. */
export async function getJSON(path, params, { signal } = {}) {
  const url = withQuery(path, params);
  const response = await fetch(url, { headers: { Accept: 'application/json' }, signal });
  let body = null;
  const type = response.headers.get('content-type') || '';
  if (type.includes('json')) body = await response.json();
  else body = await response.text();
  if (!response.ok) throw new ApiError(response.status, body, url);
  return body;
}

const project = (repo) => `/api/project/${encodeURIComponent(repo)}`;

export const api = {
  repositories: () => getJSON('/api/repository/'),
  failureClassifications: () => getJSON('/api/failureclassification/'),
  optionCollectionHashes: () => getJSON('/api/optioncollectionhash/'),
  pushes: (repo, params) => getJSON(`${project(repo)}/push/`, { full: 'true', ...params }),
  /** One page of the compact global jobs list: {count, next, results: [[...]], job_property_names}. */
  jobsPage: (params, options) => getJSON('/api/jobs/', params, options),
  job: (repo, id) => getJSON(`${project(repo)}/jobs/${id}/`),
  jobDetails: (jobId) => getJSON('/api/jobdetail/', { job_id: jobId }),
  bugSuggestions: (repo, id) => getJSON(`${project(repo)}/jobs/${id}/bug_suggestions/`),
  textLogErrors: (repo, id) => getJSON(`${project(repo)}/jobs/${id}/text_log_errors/`),
  jobLogUrls: (repo, id) => getJSON(`${project(repo)}/job-log-url/`, { job_id: id }),
  notes: (repo, id) => getJSON(`${project(repo)}/note/`, { job_id: id }),
  bugJobMap: (repo, id) => getJSON(`${project(repo)}/bug-job-map/`, { job_id: id }),
  logLines: (repo, id, start, end, name, options) => getJSON(`${project(repo)}/jobs/${id}/log/`, { start, end, name }, options),
  perfJobData: (repo, id) => getJSON(`${project(repo)}/performance/job-data/`, { job_id: id }),
  perfData: (repo, params) => getJSON(`${project(repo)}/performance/data/`, params),
  perfSignatures: (repo, params) => getJSON(`${project(repo)}/performance/signatures/`, params),
  perfFrameworks: () => getJSON('/api/performance/framework/'),
  alertSummaries: (params) => getJSON('/api/performance/alertsummary/', params),
};

/** Fetch every page of the compact jobs list for the given filters, pages after the first in parallel. */
export async function allJobs(filters, { pageSize = 2000, signal } = {}) {
  const first = await api.jobsPage({ ...filters, count: pageSize, page: 1 }, { signal });
  const pages = Math.ceil((first.count || 0) / pageSize);
  const rest = [];
  for (let page = 2; page <= pages; page += 1) rest.push(api.jobsPage({ ...filters, count: pageSize, page }, { signal }));
  const results = first.results.slice();
  for (const page of await Promise.all(rest)) for (const row of page.results) results.push(row);
  return { names: first.job_property_names, rows: results };
}
