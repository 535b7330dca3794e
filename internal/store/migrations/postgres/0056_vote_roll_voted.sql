-- +goose Up
-- The voters who voted, by vote and voter id: each ballot's transaction rewrites a few of them
-- from a random voter id on (store.blurBallot), and without this index the scan for voted rows
-- went through the roll's unvoted ones. On the 1M city's largest street (a roll of 329,500
-- households) ballots fell to 10 a second while turnout was low: each read thousands of rows,
-- and a start past the last voter read to the end of the roll.
CREATE INDEX vote_roll_voted ON vote_roll (vote_id, voter_id) WHERE voted;

-- +goose Down
DROP INDEX vote_roll_voted;
