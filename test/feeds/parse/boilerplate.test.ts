// One case per boilerplate form (src/feeds/parse/boilerplate.ts), most taken from real items in ../shared/feeds, and
// the story text next to them that must survive.
import { describe, expect, it } from 'vitest';
import { stripBoilerplate } from '../../../src/feeds/parse/boilerplate.js';

describe('stripBoilerplate', () => {
  it.each([
    // "read more" in the corpus's languages, as a block of its own
    ['The story.\n글 전체보기', 'The story.'],
    ['The story.\n浏览全文', 'The story.'],
    ['The story.\n続きを読む', 'The story.'],
    ['The story.\nWeiterlesen »', 'The story.'],
    ['The story.\nLire la suite…', 'The story.'],
    ['The story.\nLeer más', 'The story.'],
    ['The story.\nContinua a leggere →', 'The story.'],
    ['The story.\nЧитать далее', 'The story.'],
    // ... or appended to the last sentence
    // the feed's own ellipsis stays: it says the text was cut
    ['De acordo com a organização ... Leia mais no Massa News!', 'De acordo com a organização ...'],
    ['Milhares de testes. Leia mais (09/24/2018 - 19h22)', 'Milhares de testes.'],
    ['Markets rally as rates fall. Continue reading…', 'Markets rally as rates fall.'],
    ['Markets rally. Continue reading Markets rally as rates fall →', 'Markets rally.'],
    ['to play backups and homebrew read more ¦ digg story', 'to play backups and homebrew'],
    ['from the RIA community." Read more of this story at Slashdot.', 'from the RIA community."'],
    ['to talk to Saul Colt from Freshbooks Click here for show notes. Download Podcast', 'to talk to Saul Colt from Freshbooks'],
    ['the storm hit the coast 阅读全文', 'the storm hit the coast'],
    ['Big news today. The post Big news appeared first on Example Blog.', 'Big news today.'],
    ['Some text [...]', 'Some text'],
    // aggregator metadata (Hacker News, Reddit)
    ['Article URL: https://a.example/x\nComments URL: https://news.example/item?id=1\nPoints: 37\n# Comments: 1', ''],
    ['The launch slipped again.\n37 points, 1 comment', 'The launch slipped again.'],
    ['A photo.\nsubmitted by /u/midmoto\n[link] [comments]', 'A photo.'],
    // tags, share and subscribe prompts
    ['The story.\nTags: politics, economy', 'The story.'],
    ['Four objects were found.\nGet our morning email briefing or free news app', 'Four objects were found.'],
    ['The story.\nFollow us on Twitter', 'The story.'],
    ['The story.\nSubscribe to our newsletter for more', 'The story.'],
  ])('%j → %j', (text, expected) => {
    expect(stripBoilerplate(text)).toBe(expected);
  });

  it.each([
    'I want to read more books this year.',
    'You can read more about the image here.',
    'If you want to continue reading my work, please visit my new site.',
    'Points to consider: the budget and the timeline.',
    'The city subscribes to a different view.',
    'This is the full story of the bridge.',
  ])('keeps the story: %j', (text) => {
    expect(stripBoilerplate(text)).toBe(text);
  });

  it('a dropped block in the middle leaves a break (an empty line) so its neighbours do not join', () => {
    expect(stripBoilerplate('Location: Albany, NY\nURL: https://r.example\nreadMedia is hiring.')).toBe('Location: Albany, NY\n\nreadMedia is hiring.');
  });
});
