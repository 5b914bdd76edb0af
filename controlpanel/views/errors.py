"""Error pages: JSON under /api/, the panel's own pages elsewhere."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render


def _api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def not_found(request: HttpRequest, exception=None) -> HttpResponse:
    if _api(request):
        return JsonResponse({"error": "Not found."}, status=404)
    return render(request, "404.html", status=404)


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    from controlpanel.permissions import SecondFactorRequired

    reason = str(exception) if exception else ""
    if _api(request):
        return JsonResponse({"error": reason or "Permission denied."}, status=403)
    context = {"reason": reason, "second_factor": isinstance(exception, SecondFactorRequired)}
    return render(request, "403.html", context, status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    if _api(request):
        return JsonResponse({"error": "Server error: it was logged."}, status=500)
    return render(request, "500.html", status=500)


def bad_request(request: HttpRequest, exception=None) -> HttpResponse:
    """400s raised by Django itself (malformed or oversized requests); an oversized body is a 413."""
    from django.conf import settings
    from django.core.exceptions import RequestDataTooBig

    if isinstance(exception, RequestDataTooBig):
        limit = settings.CP_MAX_CONFIG_BYTES // 1024
        message = f"The request body is larger than the panel accepts (about {limit} KiB)."
        if _api(request):
            return JsonResponse({"error": message}, status=413)
        return render(request, "400.html", {"message": message}, status=413)
    if _api(request):
        return JsonResponse({"error": "Bad request."}, status=400)
    return render(request, "400.html", {"message": "The request could not be read."}, status=400)
