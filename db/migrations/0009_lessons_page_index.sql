-- A page of lessons is ordered by (starts_at, lesson_id). With the id in the index, a page reads its
-- rows in order and stops at the limit; without it, every lesson in the range was read and sorted.
create index lessons_by_start_and_id on lessons (school_id, starts_at, lesson_id);
drop index lessons_by_start;
