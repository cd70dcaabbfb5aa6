"""One response per person when one person submits many times at once (threads, real PostGIS)."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connections, transaction

from surveys.models import Answer, MapFeature, Response
from surveys.services import response_submit
from tests.factories import UserFactory
from tests.surveys.helpers import A, B, add, build_survey, point, publish

pytestmark = pytest.mark.django_db(transaction=True)
THREADS = 10


def run_at_once(tasks):
    barrier = threading.Barrier(len(tasks))

    def run(task):
        try:
            barrier.wait()
            task()
            return True
        except ValidationError:
            return False
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(tasks)) as pool:
        return list(pool.map(run, tasks))


def test_parallel_submissions_of_one_account_make_one_response():
    s = build_survey()
    text = add(s, "short_text")
    pts = add(s, "point", max_count=2)
    publish(s)
    user = UserFactory()
    tasks = [
        lambda i=i: response_submit(
            survey=s, user=user, answers={text.pk: f"Antwort {i}", pts.pk: [point(A), point(B)]}
        )
        for i in range(THREADS)
    ]
    results = run_at_once(tasks)
    assert all(results)  # later ones replace the earlier answers: every call is an edit
    response = Response.objects.get(survey=s, user=user)
    # Exactly one submission's answers, never a mix or a doubling.
    assert Answer.objects.filter(response=response).count() == 1
    assert MapFeature.objects.filter(response=response).count() == 2


def test_parallel_submissions_of_one_browser_make_one_response():
    s = build_survey(audience="anyone")
    text = add(s, "short_text")
    publish(s)
    token = "b" * 40
    tasks = [
        lambda i=i: response_submit(
            survey=s, user=AnonymousUser(), answers={text.pk: str(i)}, browser_token=token
        )
        for i in range(THREADS)
    ]
    assert all(run_at_once(tasks))
    assert Response.objects.filter(survey=s).count() == 1
    assert Answer.objects.count() == 1


def test_the_database_refuses_a_second_response_without_the_lock():
    s = build_survey()
    add(s, "number")
    publish(s)
    user = UserFactory()
    Response.objects.create(survey=s, user=user)
    with pytest.raises(IntegrityError), transaction.atomic():
        Response.objects.create(survey=s, user=user)
