"""Notifications: written once per user and key, handed to the configured backends after the
commit, and a backend that fails loses nothing in the app."""

from __future__ import annotations

import json

import pytest

from yiyang.core import notify
from yiyang.core.models import Notification
from yiyang.core.notify import Message, notify_many, unread_count


def test_a_notification_is_written_once_and_sent_to_each_backend(worker, settings, monkeypatch,
                                                                  django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setitem(notify.BACKENDS, "console", lambda n: sent.append(("console", n.title)))
    monkeypatch.setitem(notify.BACKENDS, "webhook", lambda n: sent.append(("webhook", n.title)))
    monkeypatch.setitem(settings.YIYANG, "NOTIFY_BACKENDS", ["console", "webhook"])
    with django_capture_on_commit_callbacks(execute=True):
        assert notify_many([Message(worker.pk, "visit.due", "明天应探访 2 位老人", dedupe_key="k1")]) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert notify_many([Message(worker.pk, "visit.due", "明天应探访 2 位老人", dedupe_key="k1")]) == 0
    assert sent == [("console", "明天应探访 2 位老人"), ("webhook", "明天应探访 2 位老人")]
    assert unread_count(worker) == 1


def test_the_webhook_posts_json_and_a_failing_backend_keeps_the_in_app_row(worker, settings, monkeypatch,
                                                                          django_capture_on_commit_callbacks):
    posted = []

    class Answer:
        def close(self):
            pass

    def fake_urlopen(request, timeout):
        posted.append((request.full_url, json.loads(request.data)))
        return Answer()

    monkeypatch.setattr(notify.urllib.request, "urlopen", fake_urlopen)
    monkeypatch.setitem(settings.YIYANG, "NOTIFY_BACKENDS", ["webhook", "sms"])
    monkeypatch.setitem(settings.YIYANG, "NOTIFY_WEBHOOK_URL", "http://gateway.invalid/notify")
    monkeypatch.setitem(notify.BACKENDS, "sms", lambda n: (_ for _ in ()).throw(OSError("gateway down")))
    with django_capture_on_commit_callbacks(execute=True):
        notify_many([Message(worker.pk, "visit.overdue", "本社区有 3 位老人逾期未探访", url="/visits/", dedupe_key="k2")])
    assert posted == [("http://gateway.invalid/notify",
                       {"user": worker.pk, "kind": "visit.overdue", "title": "本社区有 3 位老人逾期未探访", "url": "/visits/"})]
    assert Notification.objects.filter(user=worker, kind="visit.overdue").count() == 1


@pytest.mark.parametrize("path", ["/notifications/"])
def test_opening_the_list_marks_them_read(client, worker, path):
    notify_many([Message(worker.pk, "visit.due", "今天应探访 1 位老人：王秀英", dedupe_key="k3")])
    client.force_login(worker)
    assert "今天应探访 1 位老人" in client.get(path).content.decode()
    assert unread_count(worker) == 0
